// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {IImageRegistry} from "./interfaces/IImageRegistry.sol";
import {SidechainManagerBase} from "./SidechainManagerBase.sol";
import {SidechainManagerExtension} from "./SidechainManagerExtension.sol";

/// @title SidechainManager
/// @notice The life of a sidechain: a dApp developer pays for a chain of a type (units per node, number of
/// nodes) for a lifetime; its members are drawn at random by the node registry; members are rotated when a
/// node exits, periodically, and when 2f+1 members report one of them down; the image every subnode runs is
/// pinned to a version of the image registry.
///
/// Every random draw (the members of a new chain, the member a periodic rotation replaces, the node that joins
/// after an exit, a rotation or a liveness eviction) is made in two steps: a request fixes the block whose hash
/// will seed the draw (the block the request lands in, unknown when the request is sent), and {finalizeDraw},
/// callable by anyone from the next block on, draws from that hash. The result depends on neither who finalizes
/// nor when; declining to finalize only delays. If nobody finalizes within 256 blocks the hash is no longer
/// readable and the draw is re-armed on a later block. See docs/contracts.md for the bias that remains.
///
/// A chain can be resized by its owner ({resizeSidechain}). {finalizeDraw} and {resizeSidechain} run in
/// {SidechainManagerExtension}, created by this contract's constructor and reached by delegatecall (same storage,
/// see {SidechainManagerBase}): all of it in one contract would exceed the 24 KiB code size limit.
contract SidechainManager is SidechainManagerBase, Initializable, AccessControlUpgradeable, UUPSUpgradeable {
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    /// @notice May withdraw the fees paid for chains.
    bytes32 public constant TREASURER_ROLE = keccak256("TREASURER_ROLE");
    string public constant SUBNODE_COMPONENT = "subnode";
    /// @notice Largest number of nodes in a chain (liveness reports keep one bit per member).
    uint8 public constant MAX_CHAIN_NODES = 64;
    /// @notice Bounds of {setParameters}: lifetimes and rotation period at most 10 years, a leaving subnode
    /// serves at most 7 days after its rotation, reports are gathered within at most 1 day.
    uint256 private constant MAX_LIFETIME = 3650 days;
    uint256 private constant MAX_ROTATION_DELAY = 7 days;
    uint256 private constant MAX_REPORT_WINDOW = 1 days;
    /// @dev The code of {finalizeDraw} and {resizeSidechain}; an immutable, so each implementation brings its own.
    address private immutable _extension;

    /// @custom:oz-upgrades-unsafe-allow constructor state-variable-immutable
    constructor() {
        _disableInitializers();
        _extension = address(new SidechainManagerExtension());
    }

    /// @notice Initializes the proxy with the default chain types (small 1x16, medium 16x16, large 128x16,
    /// dev4 8x4) and the "bft" consensus engine; `admin` gets the admin, upgrader and treasurer roles.
    function initialize(address admin, INodeRegistry nodes_, IImageRegistry images_, Parameters calldata params)
        external
        initializer
    {
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(UPGRADER_ROLE, admin);
        _grantRole(TREASURER_ROLE, admin);
        nodes = nodes_;
        images = images_;
        _setParameters(params);
        _setChainType("small", 1, 16, true);
        _setChainType("medium", 16, 16, true);
        _setChainType("large", 128, 16, true);
        _setChainType("dev4", 8, 4, true);
        _consensusEngines[keccak256("bft")] = true;
        emit ConsensusEngineSet("bft", true);
    }

    // ------------------------------------------------------------------ developers

    /// @notice Creates chain `name` of type `typeName` for `lifetime` seconds and requests the draw of its
    /// members; the chain is Pending until {finalizeDraw} draws them (from the next block on, by anyone). The
    /// price is `pricePerUnitSecond x units x nodes x lifetime`; any value above it is refunded.
    ///
    /// Emits a {SidechainRequested} and a {DrawRequested} event; {finalizeDraw} emits {SidechainCreated}.
    ///
    /// Requirements:
    /// - `name` is 1 to 64 characters of a-z, 0-9 and '-', does not start with '-', and was never used;
    /// - `typeName` is an enabled chain type and `lifetime` lies within the configured range;
    /// - `options.consensus` is an enabled engine and `options.imageVersion` a published, not revoked
    ///   subnode image;
    /// - the value sent covers the price;
    /// - at least as many nodes as the chain needs have the free units (reverts with NotEnoughNodes otherwise;
    ///   the draw itself may still find too few validators, see {finalizeDraw}).
    function createSidechain(string calldata name, string calldata typeName, uint40 lifetime, Options calldata options)
        external
        payable
        nonReentrant
        returns (uint256 chainId)
    {
        _checkChainName(name);
        bytes32 nameKey = keccak256(bytes(name));
        if (_chainIdOfName[nameKey] != 0) revert ChainNameTaken(name, _chainIdOfName[nameKey]);
        ChainType memory kind = _requireType(typeName);
        _checkLifetime(lifetime);
        if (!_consensusEngines[keccak256(bytes(options.consensus))]) revert UnknownConsensusEngine(options.consensus);
        images.requireUsable(options.imageVersion, SUBNODE_COMPONENT);
        uint256 price = _price(kind, lifetime);
        if (msg.value < price) revert InsufficientPayment(msg.value, price);

        uint256 eligible = nodes.eligibleNodeCount(kind.unitsPerNode);
        if (eligible < kind.nodeCount) revert NotEnoughNodes(typeName, kind.nodeCount, eligible);

        chainId = ++_chainCount;
        _chainIdOfName[nameKey] = chainId;
        _storeChain(chainId, name, typeName, kind, lifetime, options);
        emit SidechainRequested(chainId, name, msg.sender, typeName, price);
        _requestDraw(chainId, DrawKind.Creation, 0);
        totalCollected += price;
        _refund(msg.value - price);
    }

    /// @notice Extends chain `chainId` by `extra` seconds, paid at the current price; excess is refunded.
    ///
    /// Emits a {SidechainLifetimeExtended} event.
    ///
    /// Requirements:
    /// - the caller owns the active chain and it has not expired;
    /// - the remaining lifetime after extension is at most the maximum lifetime;
    /// - the value sent covers the price of `extra` seconds.
    function extendLifetime(uint256 chainId, uint40 extra) external payable nonReentrant {
        Chain storage c = _requireOwner(chainId);
        if (block.timestamp >= c.expiresAt) revert ChainExpired(chainId, c.expiresAt);
        uint256 remaining = c.expiresAt - block.timestamp + extra;
        if (extra == 0 || remaining > _params.maxLifetime) {
            revert LifetimeOutOfRange(remaining, 1, _params.maxLifetime);
        }
        // Charged for the chain as it is, even if its type was reconfigured since creation.
        uint256 price = _params.pricePerUnitSecond * c.units * c.nodeCount * extra;
        if (msg.value < price) revert InsufficientPayment(msg.value, price);
        c.expiresAt += extra;
        totalCollected += price;
        emit SidechainLifetimeExtended(chainId, c.expiresAt, price);
        _refund(msg.value - price);
    }

    /// @notice Deletes chain `chainId` before its end; nothing is refunded. Its name stays reserved. A pending
    /// draw of the chain is cancelled.
    ///
    /// Emits a {SidechainRemoved} event.
    ///
    /// Requirements: the caller owns the chain and it is active or pending.
    function deleteSidechain(uint256 chainId) external {
        _requireOwner(chainId);
        _remove(chainId, false);
    }

    /// @notice Removes chain `chainId` once its lifetime is over; anyone may call it. It pays its caller
    /// nothing: the members' agents call it because it frees their units (see docs/contracts.md).
    ///
    /// Emits a {SidechainRemoved} event.
    ///
    /// Requirements: the chain is active or pending, and expired.
    function removeExpired(uint256 chainId) external {
        Chain storage c = _requireLive(chainId);
        if (block.timestamp < c.expiresAt) revert ChainNotExpired(chainId, c.expiresAt);
        _remove(chainId, true);
    }

    /// @notice Moves chain `chainId` to image `version`, which must be published after the current one.
    ///
    /// Emits a {SidechainImageChanged} event.
    ///
    /// Requirements: the caller owns the active chain; `version` is a usable subnode image newer than the
    /// chain's current one.
    function changeImage(uint256 chainId, string calldata version) external {
        Chain storage c = _requireOwner(chainId);
        IImageRegistry.ImageVersion memory next = images.requireUsable(version, SUBNODE_COMPONENT);
        IImageRegistry.ImageVersion memory current = images.getVersion(c.imageVersion);
        if (next.sequence <= current.sequence) revert ImageNotNewer(chainId, c.imageVersion, version);
        c.imageVersion = version;
        emit SidechainImageChanged(chainId, version, next.digest);
    }

    // ------------------------------------------------------------------ rotation and liveness

    /// @notice Requests the periodic rotation of chain `chainId`: once finalized (see {finalizeDraw}), one
    /// random member is replaced by a random eligible node. Anyone may call it once `rotationPeriod` has passed
    /// since the chain's last rotation. The leaving subnode serves until the rotation's `finishAt`.
    ///
    /// Emits a {DrawRequested} event.
    ///
    /// Requirements: the chain is active and not expired, its rotation is due, no rotation is in flight and no
    /// draw is pending.
    function rotate(uint256 chainId) external {
        Chain storage c = _requireActive(chainId);
        if (block.timestamp >= c.expiresAt) revert ChainExpired(chainId, c.expiresAt);
        uint256 dueAt = uint256(c.lastRotationAt) + _params.rotationPeriod;
        if (block.timestamp < dueAt) revert RotationNotDue(chainId, dueAt);
        Rotation[] storage past = _rotations[chainId];
        if (past.length != 0 && past[past.length - 1].finishAt > block.timestamp) {
            revert RotationInProgress(chainId, past[past.length - 1].finishAt);
        }
        _requireNoDraw(chainId);
        _requestDraw(chainId, DrawKind.Periodic, 0);
    }

    /// @notice Requests the rotation of Leaving node `nodeId` out of up to `maxChains` of its chains that have
    /// no pending draw (a chain with a pending draw is skipped, not waited for); an expired chain is removed
    /// instead. Each rotation completes with {finalizeDraw}; the last one marks the node Left. Anyone may call
    /// it, repeatedly, until the node has left.
    ///
    /// Emits a {DrawRequested} event per chain.
    ///
    /// Requirements: the node is Leaving.
    /// @return remaining the number of chains the node still serves.
    function processExit(uint256 nodeId, uint256 maxChains) external returns (uint256 remaining) {
        INodeRegistry.NodeStatus status = nodes.statusOf(nodeId);
        if (status != INodeRegistry.NodeStatus.Leaving) revert NodeNotLeaving(nodeId, status);
        INodeRegistry.Placement[] memory placements = nodes.placementsOf(nodeId);
        uint256 done = 0;
        for (uint256 k = 0; k < placements.length && done < maxChains; ++k) {
            uint256 chainId = placements[k].chainId;
            if (_draws[chainId].kind != DrawKind.None) continue;
            Chain storage c = _chains[chainId];
            if (block.timestamp >= c.expiresAt) _remove(chainId, true);
            else _requestDraw(chainId, DrawKind.NodeExit, nodeId);
            done += 1;
        }
        remaining = nodes.placementsOf(nodeId).length;
        if (remaining == 0) nodes.completeExit(nodeId);
    }

    /// @notice The caller, a member node of chain `chainId`, reports member `nodeId` down. Reports are counted
    /// per validator: the members of one validator count together for at most f = (n-1)/3 (at least 1). When
    /// the count reaches the quorum (see {quorumOf}) within `reportWindow`, the node is flagged Incompliant at
    /// once and its replacement is requested (see {finalizeDraw}).
    ///
    /// Emits a {NodeReportedDown} event, and a {DrawRequested} event when the quorum is reached.
    ///
    /// Requirements:
    /// - the chain is active, the caller's node and `nodeId` are both members and differ;
    /// - the caller has not reported `nodeId` in the current window;
    /// - no draw other than a periodic rotation is pending on the chain (a periodic one is superseded).
    function reportDown(uint256 chainId, uint256 nodeId) external {
        Chain storage c = _requireActive(chainId);
        uint256 reporter = nodes.nodeIdOf(msg.sender);
        uint256 reporterIndex = _memberIndex(chainId, c, reporter);
        _memberIndex(chainId, c, nodeId);
        if (reporter == nodeId) revert CannotReportSelf(chainId, nodeId);
        Draw storage pending = _draws[chainId];
        if (pending.kind != DrawKind.None && pending.kind != DrawKind.Periodic) {
            revert DrawPending(chainId, pending.kind, pending.seedBlock);
        }
        Report storage r = _reports[chainId][nodeId];
        if (r.count == 0 || r.epoch != c.epoch || block.timestamp > uint256(r.windowStart) + _params.reportWindow) {
            r.windowStart = uint40(block.timestamp);
            r.epoch = c.epoch;
            r.count = 0;
            r.reporters = 0;
        }
        uint64 bit = uint64(1) << uint64(reporterIndex);
        if (r.reporters & bit != 0) revert AlreadyReported(chainId, nodeId, reporter);
        r.reporters |= bit;
        r.count = uint8(nodes.countByValidator(_membersOf(c), r.reporters, maxSeatsPerValidator(c.members.length)));
        uint8 quorum = quorumOf(c.members.length);
        emit NodeReportedDown(chainId, nodeId, reporter, r.count, quorum);
        if (r.count >= quorum) {
            delete _reports[chainId][nodeId];
            nodes.markIncompliant(nodeId);
            if (pending.kind == DrawKind.Periodic) emit DrawCancelled(chainId, DrawKind.Periodic);
            _requestDraw(chainId, DrawKind.Liveness, nodeId);
        }
    }

    /// @notice Completes the pending draw of chain `chainId` with the hash of the block fixed by its request:
    /// draws the members of a new chain, or the leaving member of a periodic rotation and the joining node of
    /// any rotation. The outcome does not depend on the caller or on the block this call lands in. When the
    /// seed block is more than 256 blocks old its hash is unreadable and the draw is re-armed on the current
    /// block instead (to be finalized from the next one). A periodic rotation of a chain that expired meanwhile
    /// is cancelled. Finalizing a Leaving node's last exit rotation marks it Left.
    ///
    /// Emits {SidechainCreated} or {NodeRotated}, or {DrawRearmed}, or {DrawCancelled}.
    ///
    /// Requirements: a draw is pending and the current block is after its seed block; the selection finds the
    /// nodes (NotEnoughEligibleNodes or TooFewValidators otherwise, and the draw stays pending).
    function finalizeDraw(uint256 chainId) external {
        chainId; // read by the extension, from the calldata
        _delegate();
    }

    /// @notice Resizes chain `chainId` to chain type `typeName` (more or fewer units per node, more or fewer
    /// members), paid or refunded for the remaining lifetime: the owner pays
    /// `pricePerUnitSecond x (newUnits x newNodes - units x nodes) x (expiresAt - now)` when that is positive (any
    /// value above it is refunded) and gets that amount back, without fee, when it is negative; the refund is
    /// paid from the fees not yet withdrawn. A resize that grows nothing (fewer or equal units and members)
    /// applies at once; one that grows units or members requests a draw (kind Resize) that {finalizeDraw}
    /// completes, by anyone, from the next block on. Applying it: members removed first (the validator with the
    /// most seats loses its latest member, repeatedly), units changed in place on every staying member whose node
    /// has the free units, the others replaced by nodes drawn as in a rotation, then new members drawn as at
    /// creation (uniformly, at most f seats per validator, recent leavers excluded). Removed and replaced members
    /// serve until now + rotationDelay, as in a rotation; the chain's epoch is incremented and every change is a
    /// {rotationsOf} record with reason Resize. See docs/contracts.md, "Resizing a chain".
    ///
    /// Emits {SidechainResizeRequested}; then (at once, or from {finalizeDraw}) {NodeRotated} per member added,
    /// removed or replaced and {SidechainResized}; {DrawRequested} when a draw is needed.
    ///
    /// Requirements:
    /// - the caller owns the chain, which is active and not expired, and no draw is pending on it;
    /// - `typeName` is an enabled chain type of another size (SameChainSize otherwise);
    /// - the members kept are a quorum of the current member set ({quorumOf}), so the chain keeps finalizing
    ///   through the switch even if every removed member stops at once (ShrinkBelowQuorum otherwise);
    /// - a grow: the value sent covers the price difference and enough nodes have the new units free
    ///   (NotEnoughNodes); a shrink: the fees not yet withdrawn cover the refund (InsufficientFees).
    function resizeSidechain(uint256 chainId, string calldata typeName) external payable {
        (chainId, typeName); // read by the extension, from the calldata
        _delegate();
    }

    /// @notice Cancels the pending resize of chain `chainId`, which then keeps its size. The owner may cancel at any
    /// time and gets back what the resize cost. Anybody may cancel a resize that has been pending for 256 blocks
    /// (its draw found no nodes): while it is pending no member can be reported down and no leaving node rotated
    /// out, so an owner cannot hold the members' validators hostage with a resize that cannot be drawn. The payment
    /// is then sent to the owner with bounded gas, and stays with the fees if the owner refuses it.
    ///
    /// Emits {DrawCancelled} and {SidechainResizeCancelled}.
    ///
    /// Requirements:
    /// - a resize draw is pending on the chain (NoPendingDraw);
    /// - the caller owns the chain, or 256 blocks passed since the request (ResizeNotCancellable);
    /// - an owner's refund is covered by the fees not yet withdrawn (InsufficientFees).
    function cancelResize(uint256 chainId) external {
        chainId; // read by the extension, from the calldata
        _delegate();
    }

    /// @notice The size chain `chainId` moves to when its pending resize draw is finalized (nodeCount 0: none).
    function pendingResize(uint256 chainId) external view returns (ResizeTarget memory) {
        return _resizes[chainId];
    }

    // ------------------------------------------------------------------ administration

    /// @notice Adds or changes chain type `name`. Existing chains keep the size they were created with.
    ///
    /// Emits a {ChainTypeSet} event.
    ///
    /// Requirements: the caller has DEFAULT_ADMIN_ROLE; 1 <= unitsPerNode <= 128 and 1 <= nodeCount <= 64.
    function setChainType(string calldata name, uint8 unitsPerNode, uint8 nodeCount, bool enabled)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _setChainType(name, unitsPerNode, nodeCount, enabled);
    }

    /// @notice Enables or disables consensus engine `name` for new chains.
    ///
    /// Emits a {ConsensusEngineSet} event. Requirements: the caller has DEFAULT_ADMIN_ROLE; `name` is not empty.
    function setConsensusEngine(string calldata name, bool enabled) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (bytes(name).length == 0) revert UnknownConsensusEngine(name);
        _consensusEngines[keccak256(bytes(name))] = enabled;
        emit ConsensusEngineSet(name, enabled);
    }

    /// @notice Replaces the network parameters.
    ///
    /// Emits a {ParametersChanged} event.
    ///
    /// Requirements: the caller has DEFAULT_ADMIN_ROLE; pricePerUnitSecond > 0 (at most 2^128 - 1);
    /// 0 < minLifetime <= maxLifetime <= MAX_LIFETIME; rotationDelay <= MAX_ROTATION_DELAY;
    /// 0 < rotationPeriod <= MAX_LIFETIME; 0 < reportWindow <= MAX_REPORT_WINDOW. Otherwise reverts with
    /// ParameterOutOfRange(name, value, minimum, maximum).
    function setParameters(Parameters calldata params) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setParameters(params);
    }

    /// @notice Sends `amount` of the collected fees to `to`.
    ///
    /// Emits a {FeesWithdrawn} event.
    ///
    /// Requirements: the caller has TREASURER_ROLE; `amount` is at most the fees not yet withdrawn.
    function withdrawFees(address payable to, uint256 amount) external onlyRole(TREASURER_ROLE) nonReentrant {
        uint256 available = totalCollected - totalWithdrawn;
        if (amount > available) revert InsufficientFees(amount, available);
        totalWithdrawn += amount;
        emit FeesWithdrawn(to, amount);
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    // ------------------------------------------------------------------ views

    /// @notice Chain `chainId` with its member node ids and the digest of its image.
    function getChain(uint256 chainId) external view returns (ChainView memory) {
        Chain storage c = _requireChain(chainId);
        return ChainView({
            id: chainId,
            name: c.name,
            owner: c.owner,
            typeName: c.typeName,
            unitsPerNode: c.units,
            status: c.status,
            createdAt: c.createdAt,
            expiresAt: c.expiresAt,
            lastRotationAt: c.lastRotationAt,
            consensus: c.consensus,
            imageVersion: c.imageVersion,
            imageDigest: images.getVersion(c.imageVersion).digest,
            members: _membersOf(c)
        });
    }

    /// @notice The members of chain `chainId` with what a peer needs to reach them.
    function membersOf(uint256 chainId) external view returns (INodeRegistry.MemberView[] memory) {
        Chain storage c = _requireChain(chainId);
        return nodes.memberViews(chainId, _membersOf(c), c.status == ChainStatus.Active);
    }

    /// @notice The chains node `nodeId` serves now, with its slot on each.
    function chainsOfNode(uint256 nodeId) external view returns (NodeChainView[] memory chains) {
        INodeRegistry.Placement[] memory placements = nodes.placementsOf(nodeId);
        chains = new NodeChainView[](placements.length);
        for (uint256 k = 0; k < placements.length; ++k) {
            Chain storage c = _chains[placements[k].chainId];
            chains[k] = NodeChainView({
                chainId: placements[k].chainId,
                name: c.name,
                slot: placements[k].slot,
                unitsPerNode: c.units,
                imageVersion: c.imageVersion
            });
        }
    }

    /// @notice The pending draw of chain `chainId` (kind None when there is none).
    function pendingDraw(uint256 chainId) external view returns (Draw memory) {
        return _draws[chainId];
    }

    /// @notice Every rotation of chain `chainId`, oldest first; the last one is in flight while finishAt > now.
    function rotationsOf(uint256 chainId) external view returns (Rotation[] memory) {
        return _rotations[chainId];
    }

    /// @notice The sha256 digest of the image chain `chainId` must run.
    function imageDigestOf(uint256 chainId) external view returns (bytes32) {
        return images.getVersion(_requireChain(chainId).imageVersion).digest;
    }

    /// @notice The id of the chain named `name`, zero when there is none.
    function chainIdOf(string calldata name) external view returns (uint256) {
        return _chainIdOfName[keccak256(bytes(name))];
    }

    /// @notice Number of chains ever created (ids run from 1 to this number).
    function chainCount() external view returns (uint256) {
        return _chainCount;
    }

    /// @notice The price of a chain of type `typeName` for `lifetime` seconds.
    function priceOf(string calldata typeName, uint40 lifetime) external view returns (uint256) {
        return _price(_requireType(typeName), lifetime);
    }

    /// @notice Chain type `name` (reverts when unknown).
    function chainType(string calldata name) external view returns (ChainType memory) {
        ChainType memory t = _types[keccak256(bytes(name))];
        if (t.nodeCount == 0) revert UnknownChainType(name);
        return t;
    }

    /// @notice Names of every chain type ever configured (some may be disabled).
    function chainTypeNames() external view returns (string[] memory) {
        return _typeNames;
    }

    /// @notice Whether consensus engine `name` may be chosen for new chains.
    function isConsensusEngine(string calldata name) external view returns (bool) {
        return _consensusEngines[keccak256(bytes(name))];
    }

    /// @notice The network parameters.
    function parameters() external view returns (Parameters memory) {
        return _params;
    }

    /// @notice Reports needed to rotate a member out of a chain of `n` nodes: the smallest q with 2q > n + f,
    /// f = (n-1)/3 (so any two quorums share more than f members; 2 for n = 2 and 3, 3 for n = 4, 11 for n = 16).
    function quorumOf(uint256 n) public pure returns (uint8) {
        if (n == 0) return 1;
        uint256 f = (n - 1) / 3;
        return uint8((n + f) / 2 + 1);
    }

    /// @notice The most seats one validator may hold in a chain of `n` nodes: f = (n-1)/3, at least 1.
    function maxSeatsPerValidator(uint256 n) public pure returns (uint256) {
        uint256 f = n == 0 ? 0 : (n - 1) / 3;
        return f == 0 ? 1 : f;
    }

    // ------------------------------------------------------------------ internals

    function _storeChain(
        uint256 chainId,
        string calldata name,
        string calldata typeName,
        ChainType memory kind,
        uint40 lifetime,
        Options calldata options
    ) private {
        Chain storage c = _chains[chainId];
        c.owner = msg.sender;
        c.createdAt = uint40(block.timestamp);
        c.expiresAt = uint40(block.timestamp) + lifetime;
        c.status = ChainStatus.Pending;
        c.units = kind.unitsPerNode;
        c.lastRotationAt = uint40(block.timestamp);
        c.name = name;
        c.typeName = typeName;
        c.consensus = options.consensus;
        c.imageVersion = options.imageVersion;
        c.nodeCount = kind.nodeCount;
    }

    function _remove(uint256 chainId, bool expired) private {
        Chain storage c = _chains[chainId];
        c.status = ChainStatus.Removed;
        DrawKind pending = _draws[chainId].kind;
        if (pending != DrawKind.None) {
            delete _draws[chainId];
            emit DrawCancelled(chainId, pending);
        }
        nodes.removeChain(chainId, c.units, _membersOf(c));
        emit SidechainRemoved(chainId, expired);
    }

    function _price(ChainType memory t, uint256 lifetime) private view returns (uint256) {
        return _params.pricePerUnitSecond * t.unitsPerNode * t.nodeCount * lifetime;
    }

    function _checkChainName(string calldata name) private pure {
        bytes calldata b = bytes(name);
        if (b.length == 0 || b.length > 64 || b[0] == "-") revert InvalidChainName(name);
        for (uint256 k = 0; k < b.length; ++k) {
            bytes1 ch = b[k];
            bool ok = (ch >= "a" && ch <= "z") || (ch >= "0" && ch <= "9") || ch == "-";
            if (!ok) revert InvalidChainName(name);
        }
    }

    function _checkLifetime(uint256 lifetime) private view {
        if (lifetime < _params.minLifetime || lifetime > _params.maxLifetime) {
            revert LifetimeOutOfRange(lifetime, _params.minLifetime, _params.maxLifetime);
        }
    }

    function _setChainType(string memory name, uint8 unitsPerNode, uint8 nodeCount, bool enabled) private {
        if (
            bytes(name).length == 0 || unitsPerNode == 0 || unitsPerNode > 128 || nodeCount == 0
                || nodeCount > MAX_CHAIN_NODES
        ) revert InvalidChainType(name, unitsPerNode, nodeCount);
        bytes32 key = keccak256(bytes(name));
        if (_types[key].nodeCount == 0) _typeNames.push(name);
        _types[key] = ChainType({unitsPerNode: unitsPerNode, nodeCount: nodeCount, enabled: enabled});
        emit ChainTypeSet(name, unitsPerNode, nodeCount, enabled);
    }

    function _setParameters(Parameters calldata params) private {
        _checkRange("pricePerUnitSecond", params.pricePerUnitSecond, 1, type(uint128).max);
        _checkRange("minLifetime", params.minLifetime, 1, params.maxLifetime);
        _checkRange("maxLifetime", params.maxLifetime, params.minLifetime, MAX_LIFETIME);
        _checkRange("rotationDelay", params.rotationDelay, 0, MAX_ROTATION_DELAY);
        _checkRange("rotationPeriod", params.rotationPeriod, 1, MAX_LIFETIME);
        _checkRange("reportWindow", params.reportWindow, 1, MAX_REPORT_WINDOW);
        _params = params;
        emit ParametersChanged(params);
    }

    function _checkRange(string memory name, uint256 value, uint256 minimum, uint256 maximum) private pure {
        if (value < minimum || value > maximum) revert ParameterOutOfRange(name, value, minimum, maximum);
    }

    /// @dev Runs the same call in the extension, in this contract's storage, and returns or reverts as it does.
    function _delegate() private {
        address extension = _extension;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), extension, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}
}
