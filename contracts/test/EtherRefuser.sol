// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice Test helper: forwards calls (with value) and refuses every ether transfer it receives, to prove
/// that failed payouts revert with a named error and change nothing.
contract EtherRefuser {
    error CallFailed(bytes reason);

    function forward(address target, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory result) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(result, 32), mload(result))
            }
        }
        return result;
    }
}
