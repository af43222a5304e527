// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {IImageRegistry} from "./interfaces/IImageRegistry.sol";

/// @title SidechainManagerBase
/// @notice What {SidechainManager} and its extension {SidechainManagerExtension} share: the types, the storage
/// layout (the proxy's storage, in this order; append only), the events and errors, and small helpers. The manager
/// runs the extension's code by delegatecall, so both see the same storage; the split exists only because one
/// contract holding everything would exceed the 24 KiB code size limit (EIP-170).
abstract contract SidechainManagerBase is ReentrancyGuardTransient {
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
        Liveness,
        // A resize that grows the chain (more units or more members), see {resizeSidechain}.
        Resize
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
        Liveness,
        // A member set change made by a resize: a member added (leavingNode 0), removed (joiningNode 0) or
        // replaced because its node lacked the free units for the new size.
        Resize
    }

    /// @notice The size a chain moves to once its pending resize draw is finalized.
    struct ResizeTarget {
        uint8 unitsPerNode;
        uint8 nodeCount;
        string typeName;
        // What the owner paid for it (refunded if it is cancelled) and the block of the request.
        uint128 paid;
        uint64 requestBlock;
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
    Parameters internal _params;
    mapping(bytes32 typeKey => ChainType) internal _types;
    string[] internal _typeNames;
    mapping(bytes32 engineKey => bool) internal _consensusEngines;
    mapping(uint256 chainId => Chain) internal _chains;
    mapping(bytes32 nameKey => uint256) internal _chainIdOfName;
    mapping(uint256 chainId => Rotation[]) internal _rotations;
    mapping(uint256 chainId => mapping(uint256 nodeId => Report)) internal _reports;
    uint256 internal _chainCount;
    uint256 internal _unusedNonce; // was the nonce of the grindable seed; kept for the storage layout
    mapping(uint256 chainId => Draw) internal _draws;
    uint256 public totalCollected;
    uint256 public totalWithdrawn;
    // Appended by issue 16: the target of each chain's pending resize draw.
    mapping(uint256 chainId => ResizeTarget) internal _resizes;

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
    /// @notice The owner of chain `chainId` asked for type `typeName` (`unitsPerNode` x `nodeCount`), paying
    /// `paid` or refunded `refunded` for the remaining lifetime; `drawn` when the change waits for a draw.
    event SidechainResizeRequested(
        uint256 indexed chainId, string typeName, uint8 unitsPerNode, uint8 nodeCount, uint256 paid, uint256 refunded, bool drawn
    );
    /// @notice Chain `chainId` now has type `typeName`: `unitsPerNode` units on each of `members`, member set epoch
    /// `epoch`. Every member added, removed or replaced also has a {NodeRotated} event with reason Resize.
    event SidechainResized(uint256 indexed chainId, string typeName, uint8 unitsPerNode, uint256[] members, uint32 epoch);
    /// @notice The pending resize of chain `chainId` was cancelled by `by`; `refunded` went back to the owner.
    event SidechainResizeCancelled(uint256 indexed chainId, address indexed by, uint256 refunded);

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
    error SameChainSize(uint256 chainId, string typeName, uint8 unitsPerNode, uint8 nodeCount);
    error ShrinkBelowQuorum(uint256 chainId, uint256 staying, uint256 quorum);
    error ResizeNotCancellable(uint256 chainId, address caller, uint256 cancellableFromBlock);

    /// @dev How long a resize draw may stay pending before anybody may cancel it: while it is pending, no member can
    /// be reported down and no leaving node can be rotated out of the chain.
    uint256 internal constant RESIZE_PATIENCE_BLOCKS = 256;

    function _requestDraw(uint256 chainId, DrawKind kind, uint256 leavingNode) internal {
        _draws[chainId] = Draw({seedBlock: uint64(block.number), leavingNode: uint32(leavingNode), kind: kind});
        emit DrawRequested(chainId, kind, leavingNode, block.number);
    }

    function _requireNoDraw(uint256 chainId) internal view {
        Draw storage d = _draws[chainId];
        if (d.kind != DrawKind.None) revert DrawPending(chainId, d.kind, d.seedBlock);
    }

    function _membersOf(Chain storage c) internal view returns (uint256[] memory members) {
        uint32[] storage stored = c.members;
        members = new uint256[](stored.length);
        for (uint256 k = 0; k < members.length; ++k) {
            members[k] = stored[k];
        }
    }

    function _memberIndex(uint256 chainId, Chain storage c, uint256 nodeId) internal view returns (uint256) {
        uint32[] storage stored = c.members;
        for (uint256 k = 0; k < stored.length; ++k) {
            if (stored[k] == nodeId) return k;
        }
        revert NotAChainMember(chainId, nodeId);
    }

    function _refund(uint256 amount) internal {
        if (amount == 0) return;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed(msg.sender, amount);
    }

    function _requireType(string calldata typeName) internal view returns (ChainType memory t) {
        t = _types[keccak256(bytes(typeName))];
        if (!t.enabled) revert UnknownChainType(typeName);
    }

    function _requireChain(uint256 chainId) internal view returns (Chain storage c) {
        c = _chains[chainId];
        if (c.status == ChainStatus.None) revert UnknownChain(chainId);
    }

    function _requireActive(uint256 chainId) internal view returns (Chain storage c) {
        c = _requireChain(chainId);
        if (c.status != ChainStatus.Active) revert ChainNotActive(chainId);
    }

    function _requireLive(uint256 chainId) internal view returns (Chain storage c) {
        c = _requireChain(chainId);
        if (c.status != ChainStatus.Active && c.status != ChainStatus.Pending) revert ChainNotActive(chainId);
    }

    function _requireOwner(uint256 chainId) internal view returns (Chain storage c) {
        c = _requireLive(chainId);
        if (c.owner != msg.sender) revert NotChainOwner(chainId, msg.sender);
    }
}
