// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Validator registry as seen by the node registry.
interface IValidatorRegistry {
    /// @notice Reserves stake for a new node run from `nodeAddress` and marks the address in use.
    /// @return validatorId the validator `nodeAddress` is linked to.
    function onNodeCreated(address nodeAddress) external returns (uint256 validatorId);

    /// @notice Releases the stake reserved for a node that has left and frees its address.
    function onNodeLeft(address nodeAddress) external;

    /// @notice The account that registered `validatorId` (zero when it does not exist).
    function validatorOwner(uint256 validatorId) external view returns (address);
}
