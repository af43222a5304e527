// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {IImageRegistry} from "./interfaces/IImageRegistry.sol";

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
contract SidechainManager is Initializable, AccessControlUpgradeable, UUPSUpgradeable, ReentrancyGuardTransient {
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

    enum ChainStatus {
        None,
        Active,
        Removed,
        // Paid for, its members not drawn yet (see {finalizeDraw}).
        Pending
    }

    /// @notice What a pending draw of a chain will do once finalized.
    enum DrawKind {
        None,
        Creation,
        NodeExit,
        Periodic,
        Liveness
    }

    /// @notice A requested draw: seeded by the hash of block `seedBlock`, for `kind`, replacing `leavingNode`
    /// (zero for creation and for a periodic rotation, whose leaving member is itself drawn).
    struct Draw {
        uint64 seedBlock;
        uint32 leavingNode;
        DrawKind kind;
    }

    enum RotationReason {
        NodeExit,
        Periodic,
        Liveness
    }

    struct ChainType {
        uint8 unitsPerNode;
        uint8 nodeCount;
        bool enabled;
    }

    /// @notice What a developer chooses beyond the type: the consensus engine and the subnode image version.
    struct Options {
        string consensus;
        string imageVersion;
    }

    /// @notice Network-wide settings, in wei and seconds.
    struct Parameters {
        uint256 pricePerUnitSecond;
        uint40 minLifetime;
        uint40 maxLifetime;
        uint40 rotationDelay;
        uint40 rotationPeriod;
        uint40 reportWindow;
    }

    struct Rotation {
        uint64 chainId;
        uint32 leavingNode;
        uint32 joiningNode;
        uint40 startedAt;
        uint40 finishAt;
        RotationReason reason;
    }

    struct Chain {
        address owner;
        uint40 createdAt;
        uint40 expiresAt;
        ChainStatus status;
        uint8 units;
        uint40 lastRotationAt;
        uint32 epoch;
        uint8 nodeCount;
        string name;
        string typeName;
        string consensus;
        string imageVersion;
        uint32[] members;
    }

    struct ChainView {
        uint256 id;
        string name;
        address owner;
        string typeName;
        uint8 unitsPerNode;
        ChainStatus status;
        uint40 createdAt;
        uint40 expiresAt;
        uint40 lastRotationAt;
        string consensus;
        string imageVersion;
        bytes32 imageDigest;
        uint256[] members;
    }

    /// @notice A chain served by a node, with the node's slot for it.
    struct NodeChainView {
        uint256 chainId;
        string name;
        uint8 slot;
        uint8 unitsPerNode;
        string imageVersion;
    }

    struct Report {
        uint40 windowStart;
        uint32 epoch;
        uint8 count;
        uint64 reporters;
    }

    INodeRegistry public nodes;
    IImageRegistry public images;
    Parameters private _params;
    mapping(bytes32 typeKey => ChainType) private _types;
    string[] private _typeNames;
    mapping(bytes32 engineKey => bool) private _consensusEngines;
    mapping(uint256 chainId => Chain) private _chains;
    mapping(bytes32 nameKey => uint256) private _chainIdOfName;
    mapping(uint256 chainId => Rotation[]) private _rotations;
    mapping(uint256 chainId => mapping(uint256 nodeId => Report)) private _reports;
    uint256 private _chainCount;
    uint256 private _unusedNonce; // was the nonce of the grindable seed; kept for the storage layout
    mapping(uint256 chainId => Draw) private _draws;
    uint256 public totalCollected;
    uint256 public totalWithdrawn;

    event SidechainCreated(
        uint256 indexed chainId,
        string name,
        address indexed owner,
        string typeName,
        uint256[] members,
        uint40 expiresAt,
        string imageVersion
    );
    event SidechainRequested(uint256 indexed chainId, string name, address indexed owner, string typeName, uint256 paid);
    event DrawRequested(uint256 indexed chainId, DrawKind kind, uint256 indexed leavingNode, uint256 seedBlock);
    event DrawRearmed(uint256 indexed chainId, uint256 staleBlock, uint256 seedBlock);
    event DrawCancelled(uint256 indexed chainId, DrawKind kind);
    event SidechainLifetimeExtended(uint256 indexed chainId, uint40 expiresAt, uint256 paid);
    event SidechainRemoved(uint256 indexed chainId, bool expired);
    event SidechainImageChanged(uint256 indexed chainId, string imageVersion, bytes32 digest);
    event NodeRotated(
        uint256 indexed chainId,
        uint256 indexed leavingNode,
        uint256 indexed joiningNode,
        uint40 startedAt,
        uint40 finishAt,
        RotationReason reason
    );
    event NodeReportedDown(uint256 indexed chainId, uint256 indexed nodeId, uint256 reporter, uint8 reports, uint8 quorum);
    event ChainTypeSet(string name, uint8 unitsPerNode, uint8 nodeCount, bool enabled);
    event ConsensusEngineSet(string name, bool enabled);
    event ParametersChanged(Parameters parameters);
    event FeesWithdrawn(address indexed to, uint256 amount);

    error UnknownChainType(string typeName);
    error InvalidChainType(string typeName, uint8 unitsPerNode, uint8 nodeCount);
    error InvalidChainName(string name);
    error ChainNameTaken(string name, uint256 chainId);
    error LifetimeOutOfRange(uint256 lifetime, uint256 minimum, uint256 maximum);
    error InsufficientPayment(uint256 sent, uint256 price);
    error TransferFailed(address to, uint256 amount);
    error UnknownConsensusEngine(string name);
    error UnknownChain(uint256 chainId);
    error ChainNotActive(uint256 chainId);
    error NotChainOwner(uint256 chainId, address account);
    error ChainNotExpired(uint256 chainId, uint256 expiresAt);
    error ChainExpired(uint256 chainId, uint256 expiresAt);
    error RotationNotDue(uint256 chainId, uint256 dueAt);
    error RotationInProgress(uint256 chainId, uint256 finishAt);
    error NodeNotLeaving(uint256 nodeId, INodeRegistry.NodeStatus status);
    error NotAChainMember(uint256 chainId, uint256 nodeId);
    error CannotReportSelf(uint256 chainId, uint256 nodeId);
    error AlreadyReported(uint256 chainId, uint256 nodeId, uint256 reporter);
    error ImageNotNewer(uint256 chainId, string current, string requested);
    error ParameterOutOfRange(string name, uint256 value, uint256 minimum, uint256 maximum);
    error NotEnoughNodes(string typeName, uint256 needed, uint256 eligible);
    error DrawPending(uint256 chainId, DrawKind kind, uint256 seedBlock);
    error NoPendingDraw(uint256 chainId);
    error DrawNotReady(uint256 chainId, uint256 seedBlock, uint256 currentBlock);
    error InsufficientFees(uint256 requested, uint256 available);

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
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

    function _placeChain(uint256 chainId, Chain storage c, bytes32 seed) private {
        uint256[] memory members = nodes.placeChain(chainId, c.units, c.nodeCount, seed);
        c.status = ChainStatus.Active;
        c.lastRotationAt = uint40(block.timestamp);
        for (uint256 k = 0; k < members.length; ++k) {
            c.members.push(uint32(members[k]));
        }
        emit SidechainCreated(chainId, c.name, c.owner, c.typeName, members, c.expiresAt, c.imageVersion);
    }

    function _requestDraw(uint256 chainId, DrawKind kind, uint256 leavingNode) private {
        _draws[chainId] = Draw({seedBlock: uint64(block.number), leavingNode: uint32(leavingNode), kind: kind});
        emit DrawRequested(chainId, kind, leavingNode, block.number);
    }

    function _requireNoDraw(uint256 chainId) private view {
        Draw storage d = _draws[chainId];
        if (d.kind != DrawKind.None) revert DrawPending(chainId, d.kind, d.seedBlock);
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

    function _membersOf(Chain storage c) private view returns (uint256[] memory members) {
        uint32[] storage stored = c.members;
        members = new uint256[](stored.length);
        for (uint256 k = 0; k < members.length; ++k) {
            members[k] = stored[k];
        }
    }

    function _memberIndex(uint256 chainId, Chain storage c, uint256 nodeId) private view returns (uint256) {
        uint32[] storage stored = c.members;
        for (uint256 k = 0; k < stored.length; ++k) {
            if (stored[k] == nodeId) return k;
        }
        revert NotAChainMember(chainId, nodeId);
    }

    function _price(ChainType memory t, uint256 lifetime) private view returns (uint256) {
        return _params.pricePerUnitSecond * t.unitsPerNode * t.nodeCount * lifetime;
    }

    function _refund(uint256 amount) private {
        if (amount == 0) return;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed(msg.sender, amount);
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

    function _requireType(string calldata typeName) private view returns (ChainType memory t) {
        t = _types[keccak256(bytes(typeName))];
        if (!t.enabled) revert UnknownChainType(typeName);
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

    function _requireChain(uint256 chainId) private view returns (Chain storage c) {
        c = _chains[chainId];
        if (c.status == ChainStatus.None) revert UnknownChain(chainId);
    }

    function _requireActive(uint256 chainId) private view returns (Chain storage c) {
        c = _requireChain(chainId);
        if (c.status != ChainStatus.Active) revert ChainNotActive(chainId);
    }

    function _requireLive(uint256 chainId) private view returns (Chain storage c) {
        c = _requireChain(chainId);
        if (c.status != ChainStatus.Active && c.status != ChainStatus.Pending) revert ChainNotActive(chainId);
    }

    function _requireOwner(uint256 chainId) private view returns (Chain storage c) {
        c = _requireLive(chainId);
        if (c.owner != msg.sender) revert NotChainOwner(chainId, msg.sender);
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}
}
