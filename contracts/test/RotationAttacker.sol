// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SidechainManager} from "../SidechainManager.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";

/// @notice Test only: the grinding attack of issue 14. It triggers rotations and finalizes draws of a chain,
/// reverting unless the outcome favours its validators (an honest member left and one of its nodes joined).
contract RotationAttacker {
    SidechainManager public immutable manager;
    INodeRegistry public immutable nodes;
    mapping(uint256 validatorId => bool) public mine;

    error NoGain(uint256 leavingNode, uint256 joiningNode);

    constructor(SidechainManager manager_, INodeRegistry nodes_, uint256[] memory validatorIds) {
        manager = manager_;
        nodes = nodes_;
        for (uint256 k = 0; k < validatorIds.length; ++k) {
            mine[validatorIds[k]] = true;
        }
    }

    /// @notice Requests the rotation and tries to complete it in the same transaction.
    function rotateAndFinalize(uint256 chainId) external {
        manager.rotate(chainId);
        manager.finalizeDraw(chainId);
        _requireGain(chainId);
    }

    /// @notice Requests the rotation only.
    function rotate(uint256 chainId) external {
        manager.rotate(chainId);
    }

    /// @notice Finalizes the pending draw and reverts unless it gained a seat.
    function finalizeIfGain(uint256 chainId) external {
        manager.finalizeDraw(chainId);
        _requireGain(chainId);
    }

    function _requireGain(uint256 chainId) private view {
        SidechainManager.Rotation[] memory rotations = manager.rotationsOf(chainId);
        SidechainManager.Rotation memory last = rotations[rotations.length - 1];
        bool gained = mine[nodes.validatorOf(last.joiningNode)] && !mine[nodes.validatorOf(last.leavingNode)];
        if (!gained) revert NoGain(last.leavingNode, last.joiningNode);
    }
}
