// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SidechainManagerBase} from "./SidechainManagerBase.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";

/// @title SidechainManagerExtension
/// @notice The part of {SidechainManager} that does not fit in its 24 KiB: finalizing draws and resizing chains.
/// Created by the manager's constructor and only ever run by delegatecall from it, in the manager proxy's storage
/// (see {SidechainManagerBase}); called directly it works on its own empty storage and can do nothing useful.
contract SidechainManagerExtension is SidechainManagerBase {
    /// @notice Completes the pending draw of chain `chainId` with the hash of the block fixed by its request:
    /// draws the members of a new chain, or the leaving member of a periodic rotation and the joining node of
    /// any rotation. The outcome does not depend on the caller or on the block this call lands in. When the
    /// seed block is more than 256 blocks old its hash is unreadable and the draw is re-armed on the current
    /// block instead (to be finalized from the next one). A periodic rotation of a chain that expired meanwhile
    /// is cancelled. Finalizing a Leaving node's last exit rotation marks it Left.
    ///
    /// A resize (see {SidechainManager-resizeSidechain}) is applied; it is cancelled if the chain expired meanwhile.
    ///
    /// Emits {SidechainCreated} or {NodeRotated}, {SidechainResized}, or {DrawRearmed}, or {DrawCancelled}.
    ///
    /// Requirements: a draw is pending and the current block is after its seed block; the selection finds the
    /// nodes (NotEnoughEligibleNodes or TooFewValidators otherwise, and the draw stays pending).
    function finalizeDraw(uint256 chainId) external {
        Draw memory d = _draws[chainId];
        if (d.kind == DrawKind.None) revert NoPendingDraw(chainId);
        if (block.number <= d.seedBlock) revert DrawNotReady(chainId, d.seedBlock, block.number);
        bytes32 hash = blockhash(d.seedBlock);
        if (hash == bytes32(0)) {
            _draws[chainId].seedBlock = uint64(block.number);
            emit DrawRearmed(chainId, d.seedBlock, block.number);
            return;
        }
        delete _draws[chainId];
        Chain storage c = _chains[chainId];
        bytes32 seed = keccak256(abi.encode(hash, chainId, c.epoch, d.kind, d.leavingNode));
        if (d.kind == DrawKind.Creation) {
            _placeChain(chainId, c, seed);
            return;
        }
        if (d.kind == DrawKind.Resize) {
            ResizeTarget memory target = _resizes[chainId];
            delete _resizes[chainId];
            if (block.timestamp >= c.expiresAt) {
                emit DrawCancelled(chainId, d.kind);
                return;
            }
            _applyResize(chainId, c, target.unitsPerNode, target.nodeCount, target.typeName, seed);
            return;
        }
        if (d.kind == DrawKind.Periodic && block.timestamp >= c.expiresAt) {
            emit DrawCancelled(chainId, d.kind);
            return;
        }
        uint256 index = d.kind == DrawKind.Periodic
            ? uint256(keccak256(abi.encode(seed, "member"))) % c.members.length
            : _memberIndex(chainId, c, d.leavingNode);
        RotationReason reason = d.kind == DrawKind.Periodic
            ? RotationReason.Periodic
            : (d.kind == DrawKind.NodeExit ? RotationReason.NodeExit : RotationReason.Liveness);
        uint40 finishAt = uint40(block.timestamp) + (d.kind == DrawKind.Liveness ? 0 : _params.rotationDelay);
        _rotateMember(chainId, c, index, reason, finishAt, seed);
        if (d.kind == DrawKind.NodeExit) nodes.completeExitIfDone(d.leavingNode);
    }

    /// @notice See {SidechainManager-resizeSidechain}.
    function resizeSidechain(uint256 chainId, string calldata typeName) external payable nonReentrant {
        Chain storage c = _requireOwner(chainId);
        if (c.status != ChainStatus.Active) revert ChainNotActive(chainId);
        if (block.timestamp >= c.expiresAt) revert ChainExpired(chainId, c.expiresAt);
        ChainType memory t = _requireType(typeName);
        uint256 n = c.members.length;
        if (t.unitsPerNode == c.units && t.nodeCount == n) {
            revert SameChainSize(chainId, typeName, t.unitsPerNode, t.nodeCount);
        }
        _requireNoDraw(chainId);
        // The members kept must be a quorum of the current set: they alone can then decide the switch.
        uint256 quorum = (n + (n - 1) / 3) / 2 + 1;
        if (t.nodeCount < quorum) revert ShrinkBelowQuorum(chainId, t.nodeCount, quorum);

        // Paid or refunded: the price difference for the remaining lifetime, no fee.
        uint256 remaining = c.expiresAt - block.timestamp;
        uint256 sizeBefore = uint256(c.units) * n;
        uint256 sizeAfter = uint256(t.unitsPerNode) * t.nodeCount;
        uint256 paid;
        uint256 refunded;
        if (sizeAfter > sizeBefore) {
            paid = _params.pricePerUnitSecond * (sizeAfter - sizeBefore) * remaining;
            if (msg.value < paid) revert InsufficientPayment(msg.value, paid);
            totalCollected += paid;
        } else {
            refunded = _params.pricePerUnitSecond * (sizeBefore - sizeAfter) * remaining;
            uint256 available = totalCollected - totalWithdrawn;
            if (refunded > available) revert InsufficientFees(refunded, available);
            totalCollected -= refunded;
        }
        bool grows = t.unitsPerNode > c.units || t.nodeCount > n;
        if (t.nodeCount > n) {
            uint256 eligible = nodes.eligibleNodeCount(t.unitsPerNode);
            if (eligible < t.nodeCount - n) revert NotEnoughNodes(typeName, t.nodeCount - n, eligible);
        }
        emit SidechainResizeRequested(chainId, typeName, t.unitsPerNode, t.nodeCount, paid, refunded, grows);
        if (grows) {
            _resizes[chainId] = ResizeTarget({
                unitsPerNode: t.unitsPerNode,
                nodeCount: t.nodeCount,
                typeName: typeName,
                paid: uint128(paid),
                requestBlock: uint64(block.number)
            });
            _requestDraw(chainId, DrawKind.Resize, 0);
        } else {
            // Nothing to draw: fewer or equal units and members.
            _applyResize(chainId, c, t.unitsPerNode, t.nodeCount, typeName, bytes32(0));
        }
        _refund(msg.value - paid + refunded);
    }

    /// @notice See {SidechainManager-cancelResize}.
    function cancelResize(uint256 chainId) external nonReentrant {
        Draw memory d = _draws[chainId];
        if (d.kind != DrawKind.Resize) revert NoPendingDraw(chainId);
        Chain storage c = _chains[chainId];
        ResizeTarget memory target = _resizes[chainId];
        bool byOwner = msg.sender == c.owner;
        uint256 cancellableFrom = uint256(target.requestBlock) + RESIZE_PATIENCE_BLOCKS;
        if (!byOwner && block.number < cancellableFrom) revert ResizeNotCancellable(chainId, msg.sender, cancellableFrom);
        delete _draws[chainId];
        delete _resizes[chainId];
        uint256 refunded = target.paid;
        uint256 available = totalCollected - totalWithdrawn;
        if (byOwner) {
            if (refunded > available) revert InsufficientFees(refunded, available);
            totalCollected -= refunded;
            _refund(refunded);
        } else if (refunded > available) {
            refunded = 0; // the treasurer took it meanwhile: it stays with the fees
        } else if (refunded > 0) {
            // Bounded gas, and a refusing owner keeps nothing from happening: the payment then stays with the fees.
            (bool ok,) = c.owner.call{value: refunded, gas: 30_000}("");
            if (ok) totalCollected -= refunded;
            else refunded = 0;
        }
        emit DrawCancelled(chainId, DrawKind.Resize);
        emit SidechainResizeCancelled(chainId, msg.sender, refunded);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Moves chain `chainId` to `units` x `nodeCount`: chooses the members removed, lets the node registry
    /// change units in place, replace members that cannot grow and draw new ones, and records every change as a
    /// rotation with reason Resize (removed and replaced members serve until now + rotationDelay).
    function _applyResize(
        uint256 chainId,
        Chain storage c,
        uint8 units,
        uint8 nodeCount,
        string memory typeName,
        bytes32 seed
    ) private {
        uint256[] memory current = _membersOf(c);
        (uint256[] memory kept, uint256[] memory removed) =
            _chooseRemoved(current, nodeCount < current.length ? current.length - nodeCount : 0);
        uint40 finishAt = uint40(block.timestamp) + _params.rotationDelay;
        uint256[] memory members = nodes.resizeChain(
            INodeRegistry.ResizeParams({
                chainId: chainId,
                units: c.units,
                newUnits: units,
                added: nodeCount - kept.length,
                seed: seed,
                slotHeldUntil: finishAt
            }),
            kept,
            removed
        );
        for (uint256 k = 0; k < removed.length; ++k) {
            _recordChange(chainId, removed[k], 0, finishAt);
        }
        delete c.members;
        for (uint256 k = 0; k < members.length; ++k) {
            if (k >= kept.length) _recordChange(chainId, 0, members[k], finishAt);
            else if (members[k] != kept[k]) _recordChange(chainId, kept[k], members[k], finishAt);
            c.members.push(uint32(members[k]));
        }
        c.units = units;
        c.nodeCount = nodeCount;
        c.typeName = typeName;
        c.epoch += 1;
        emit SidechainResized(chainId, typeName, units, members, c.epoch);
    }

    /// @dev Splits `members` into those kept (in order) and `count` removed: repeatedly, the validator holding the
    /// most seats among the members left loses its latest member (highest index), so that the seats of the kept
    /// set are spread as evenly over validators as the members allow (at most f per validator when possible).
    function _chooseRemoved(uint256[] memory members, uint256 count)
        private
        view
        returns (uint256[] memory kept, uint256[] memory removed)
    {
        uint256 n = members.length;
        removed = new uint256[](count);
        kept = new uint256[](n - count);
        if (count == 0) {
            kept = members;
            return (kept, removed);
        }
        uint256[] memory validatorOf = new uint256[](n);
        for (uint256 k = 0; k < n; ++k) {
            validatorOf[k] = nodes.validatorOf(members[k]);
        }
        bool[] memory gone = new bool[](n);
        for (uint256 r = 0; r < count; ++r) {
            uint256 best = n;
            uint256 bestSeats = 0;
            for (uint256 k = n; k > 0; --k) {
                if (gone[k - 1]) continue;
                uint256 seats = 0;
                for (uint256 j = 0; j < n; ++j) {
                    if (!gone[j] && validatorOf[j] == validatorOf[k - 1]) ++seats;
                }
                if (seats > bestSeats) {
                    best = k - 1;
                    bestSeats = seats;
                }
            }
            gone[best] = true;
            removed[r] = members[best];
        }
        uint256 at = 0;
        for (uint256 k = 0; k < n; ++k) {
            if (!gone[k]) kept[at++] = members[k];
        }
    }

    /// @dev Appends a Resize rotation record and its {NodeRotated} event (0 on the side nobody is).
    function _recordChange(uint256 chainId, uint256 leaving, uint256 joining, uint40 finishAt) private {
        _rotations[chainId].push(
            Rotation({
                chainId: uint64(chainId),
                leavingNode: uint32(leaving),
                joiningNode: uint32(joining),
                startedAt: uint40(block.timestamp),
                finishAt: finishAt,
                reason: RotationReason.Resize
            })
        );
        emit NodeRotated(chainId, leaving, joining, uint40(block.timestamp), finishAt, RotationReason.Resize);
    }

    function _rotateMember(
        uint256 chainId,
        Chain storage c,
        uint256 index,
        RotationReason reason,
        uint40 finishAt,
        bytes32 seed
    ) private {
        uint256 leaving = c.members[index];
        uint256 joining = nodes.replaceMember(chainId, c.units, leaving, _membersOf(c), seed, finishAt);
        c.members[index] = uint32(joining);
        c.lastRotationAt = uint40(block.timestamp);
        c.epoch += 1;
        _rotations[chainId].push(
            Rotation({
                chainId: uint64(chainId),
                leavingNode: uint32(leaving),
                joiningNode: uint32(joining),
                startedAt: uint40(block.timestamp),
                finishAt: finishAt,
                reason: reason
            })
        );
        emit NodeRotated(chainId, leaving, joining, uint40(block.timestamp), finishAt, reason);
    }

    function _placeChain(uint256 chainId, Chain storage c, bytes32 seed) private {
        uint256[] memory members = nodes.placeChain(chainId, c.units, c.nodeCount, seed);
        c.status = ChainStatus.Active;
        c.lastRotationAt = uint40(block.timestamp);
        for (uint256 k = 0; k < members.length; ++k) {
            c.members.push(uint32(members[k]));
        }
        emit SidechainCreated(chainId, c.name, c.owner, c.typeName, members, c.expiresAt, c.imageVersion);
    }
}
