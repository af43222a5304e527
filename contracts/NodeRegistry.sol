// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {IValidatorRegistry} from "./interfaces/IValidatorRegistry.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @title NodeRegistry
/// @notice Nodes and the placement of chains on them. Every node has 128 space units; a chain of a type
/// with `u` units per node takes `u` units and one port slot on each of its nodes.
///
/// Selection keeps every eligible node (Active, not Incompliant, some free units) in a two-level index by
/// class of free units (class k holds 2^k to 2^(k+1) - 1 free units, k = 0..7): per validator, an array of its
/// nodes per class and one word counting them (eight 32-bit counts); over validators, a Fenwick tree whose every
/// entry is that word summed over a range of validators. A chain of `u` units draws among the nodes of class
/// ceil(log2 u) and above (at least `u` free units, exactly `u` when it is a power of two): one descent of the
/// tree (one read per step, skipped validators' counts subtracted in memory), then a rank within the validator
/// (one read). A draw writes nothing; see docs/contracts.md (Selection).
contract NodeRegistry is Initializable, AccessControlUpgradeable, UUPSUpgradeable, INodeRegistry {
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    /// @notice Held by the sidechain manager: places, moves and removes chains, marks nodes incompliant.
    bytes32 public constant PLACEMENT_ROLE = keccak256("PLACEMENT_ROLE");
    /// @notice May clear the Incompliant flag after an operator fixed the node.
    bytes32 public constant COMPLIANCE_ROLE = keccak256("COMPLIANCE_ROLE");

    uint8 public constant UNITS_PER_NODE = 128;
    uint16 public constant PORTS_PER_SLOT = 16;
    uint16 public constant MIN_BASE_PORT = 1024;
    /// @notice A node rotated out of a chain is not drawn for it again while it is among the chain's last
    /// PAST_MEMBERS_EXCLUDED leavers, unless no other candidate exists (see docs/contracts.md).
    uint256 public constant PAST_MEMBERS_EXCLUDED = 16;

    /// @dev The part of a node that selection reads and writes, packed in one storage slot.
    struct NodeState {
        uint32 validatorId;
        NodeStatus status;
        bool incompliant;
        bool inIndex;
        uint8 freeUnits;
        uint32 bucketPos;
        uint128 slotsInUse;
        // Kept here, next to the rest, so that reading a node's placements and holds costs no extra slot.
        uint8 placementCount;
        uint8 holdCount;
    }

    struct NodeRecord {
        string name;
        bytes4 ip;
        uint16 basePort;
        address nodeAddress;
        uint40 createdAt;
        Capacity capacity;
        string domain;
        bytes publicKey;
    }

    /// @notice What an operator declares to create a node.
    struct NodeParams {
        string name;
        bytes4 ip;
        uint16 basePort;
        bytes publicKey;
        string domain;
        Capacity capacity;
    }

    /// @dev A port slot a leaving subnode still uses until `until`.
    struct SlotHold {
        uint8 slot;
        uint40 until;
    }

    /// @dev Working memory of one selection. Nothing is written while drawing: candidates that break a rule
    /// are skipped by subtracting their counts, a whole validator at once or one node at a time.
    struct Selection {
        uint256 chainId;
        uint8 units;
        // Candidates are the nodes of this class of free units and above.
        uint256 minClass;
        bytes32 seed;
        uint256 draws;
        // 0: one seat per validator, recent past members excluded; 1: up to `maxSeats` seats per validator;
        // 2: recent past members allowed too (last resort).
        uint8 level;
        uint256 maxSeats;
        // Indexed nodes with at least `units` free units.
        uint256 total;
        // Validators holding seats, their seats and their indexed nodes with at least `units` free units.
        uint256[] usedValidators;
        uint256[] seatsOf;
        uint256[] weightOf;
        uint256 usedCount;
        // Indexed nodes with at least `units` free units skipped one by one (drawn, members, no free slot,
        // recent past members), with their validator and rank within it.
        uint256[] skipNode;
        uint256[] skipValidator;
        uint256[] skipRank;
        uint256[] skipPast;
        // 1 + the index of the skipped node's validator in usedValidators (0: not known to be used).
        uint256[] skipUsed;
        uint256 skipCount;
        bool hasPast;
    }

    IValidatorRegistry public validators;
    mapping(uint256 nodeId => NodeState) private _state;
    mapping(uint256 nodeId => NodeRecord) private _records;
    mapping(address nodeAddress => uint256) private _nodeIdOfAddress;
    mapping(bytes32 nameKey => uint256) private _nodeIdOfName;
    mapping(bytes6 endpoint => uint256) private _nodeIdOfEndpoint;
    // Placements of a node: 64-bit entries chainId << 8 | slot, four per word, count in NodeState.
    mapping(uint256 nodeId => mapping(uint256 word => uint256)) private _placementWords;
    mapping(uint256 nodeId => SlotHold[]) private _slotHolds;
    mapping(uint256 chainId => mapping(uint256 nodeId => bool)) private _wasMember;
    // The indexed nodes of a validator, eight 32-bit ids per word at key position / 8, in segments by class of
    // free units, highest class first (segment lengths are the validator's counts; position of a node in
    // NodeState.bucketPos; words past the end hold stale ids).
    mapping(uint256 validatorId => mapping(uint256 key => uint256)) private _buckets;
    // Fenwick tree over validator ids: entry i is the counts word summed over the validators (i - lowbit(i), i].
    mapping(uint256 index => uint256) private _tree;
    uint256 private _nodeCount;
    // Each validator's indexed nodes by class of free units: eight 32-bit counts, class k in bits 32k..32k+31.
    mapping(uint256 validatorId => uint256) private _countsOf;
    // Size of the Fenwick tree (a power of two, at least the largest indexed validator id).
    uint256 private _treeSize;
    // The last PAST_MEMBERS_EXCLUDED nodes rotated out of a chain, 32 bits each, newest in the low bits.
    mapping(uint256 chainId => uint256[2]) private _recentLeavers;
    // The key each node's subnodes sign consensus messages with (docs/agent.md, "Keys"), and its owner.
    mapping(uint256 nodeId => address) private _consensusKey;
    mapping(address consensusKey => uint256) private _nodeIdOfConsensusKey;

    event NodeCreated(
        uint256 indexed nodeId,
        uint256 indexed validatorId,
        address indexed nodeAddress,
        string name,
        bytes4 ip,
        uint16 basePort
    );
    event NodeStatusChanged(uint256 indexed nodeId, NodeStatus status);
    /// @notice Node `nodeId`'s subnodes now sign consensus messages with `consensusKey` (was `previous`).
    event ConsensusKeySet(uint256 indexed nodeId, address indexed consensusKey, address previous);
    event NodeComplianceChanged(uint256 indexed nodeId, bool incompliant);

    error UnknownNode(uint256 nodeId);
    error NodeAddressHasNode(address nodeAddress, uint256 nodeId);
    error InvalidNodeName(string name);
    error NodeNameTaken(string name, uint256 nodeId);
    error InvalidEndpoint(bytes4 ip, uint16 basePort);
    error EndpointTaken(bytes4 ip, uint16 basePort, uint256 nodeId);
    error InvalidPublicKey(address expected, address derived);
    error InvalidCapacity(uint32 cpuMillicores, uint32 memoryMiB, uint32 diskGiB);
    error NotNodeOperator(uint256 nodeId, address account);
    error InvalidNodeStatus(uint256 nodeId, NodeStatus status);
    error NodeStillPlaced(uint256 nodeId, uint256 chains);
    error NotEnoughEligibleNodes(uint256 chainId, uint8 units, uint256 needed);
    error NotPlaced(uint256 chainId, uint256 nodeId);
    error NoFreeSlot(uint256 nodeId);
    error ComplianceUnchanged(uint256 nodeId, bool incompliant);
    error InvalidConsensusKey(address consensusKey);
    error ConsensusKeyTaken(address consensusKey, uint256 nodeId);
    error InvalidConsensusKeyProof(address consensusKey, address signer);
    error TooFewValidators(uint256 chainId, uint256 maxSeatsPerValidator, uint256 needed);

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initializes the proxy; `admin` gets the admin, upgrader and compliance roles.
    function initialize(address admin, IValidatorRegistry validators_) external initializer {
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(UPGRADER_ROLE, admin);
        _grantRole(COMPLIANCE_ROLE, admin);
        validators = validators_;
    }

    // ------------------------------------------------------------------ operators

    /// @notice Creates a node run from the caller's address, which must be linked to a validator.
    ///
    /// Emits a {NodeCreated} event.
    ///
    /// Requirements:
    /// - the caller has no node that has not left, and its address is linked to a validator whose stake
    ///   covers the MSR of all its nodes including this one;
    /// - `publicKey` is the 64-byte uncompressed secp256k1 key whose address is the caller;
    /// - `name` has 1 to 64 bytes and is not used by a node that has not left;
    /// - `ip` is not zero, `basePort` is at least 1024 and leaves room for 128 slots of 16 ports,
    ///   and (ip, basePort) is not used by a node that has not left;
    /// - every capacity figure is positive.
    function createNode(NodeParams calldata params) external returns (uint256 nodeId) {
        (bytes32 nameKey, bytes6 endpoint) = _checkNodeParams(params);
        uint256 validatorId = validators.onNodeCreated(msg.sender);
        nodeId = ++_nodeCount;
        _records[nodeId] = NodeRecord({
            name: params.name,
            ip: params.ip,
            basePort: params.basePort,
            nodeAddress: msg.sender,
            createdAt: uint40(block.timestamp),
            capacity: params.capacity,
            domain: params.domain,
            publicKey: params.publicKey
        });
        NodeState storage s = _state[nodeId];
        s.validatorId = uint32(validatorId);
        s.status = NodeStatus.Active;
        s.freeUnits = UNITS_PER_NODE;
        _nodeIdOfAddress[msg.sender] = nodeId;
        _nodeIdOfName[nameKey] = nodeId;
        _nodeIdOfEndpoint[endpoint] = nodeId;
        _setIndexed(nodeId, s, UNITS_PER_NODE, true);
        emit NodeCreated(nodeId, validatorId, msg.sender, params.name, params.ip, params.basePort);
    }

    /// @notice Puts node `nodeId` in or out of maintenance. A node in maintenance keeps its chains but gets
    /// no new ones.
    ///
    /// Emits a {NodeStatusChanged} event.
    ///
    /// Requirements:
    /// - the caller is the node's address or its validator's owner;
    /// - the node is Active to turn maintenance on, InMaintenance to turn it off.
    function setMaintenance(uint256 nodeId, bool on) external {
        NodeState storage s = _requireOperator(nodeId);
        NodeStatus from = on ? NodeStatus.Active : NodeStatus.InMaintenance;
        if (s.status != from) revert InvalidNodeStatus(nodeId, s.status);
        s.status = on ? NodeStatus.InMaintenance : NodeStatus.Active;
        _setIndexed(nodeId, s, s.freeUnits, !on && !s.incompliant);
        emit NodeStatusChanged(nodeId, s.status);
    }

    /// @notice Starts the exit of node `nodeId`: it gets no new chains, and the sidechain manager's
    /// `processExit` then rotates it out of every chain and marks it Left.
    ///
    /// Emits a {NodeStatusChanged} event.
    ///
    /// Requirements:
    /// - the caller is the node's address or its validator's owner;
    /// - the node is Active or InMaintenance.
    function initiateExit(uint256 nodeId) external {
        NodeState storage s = _requireOperator(nodeId);
        if (s.status != NodeStatus.Active && s.status != NodeStatus.InMaintenance) {
            revert InvalidNodeStatus(nodeId, s.status);
        }
        s.status = NodeStatus.Leaving;
        _setIndexed(nodeId, s, s.freeUnits, false);
        emit NodeStatusChanged(nodeId, NodeStatus.Leaving);
    }

    /// @notice Sets node `nodeId`'s consensus key: the address whose signatures count as the node's votes on
    /// every chain it serves. The operator key never leaves the node's agent; subnodes hold only this key, so a
    /// compromised subnode can sign consensus messages but not exit, pause or report for the node, nor spend its
    /// gas. Rotatable: a new key replaces the old one at once in every member set read after the call.
    ///
    /// `proof` is the key's signature (EIP-191 personal message) over {consensusKeyMessage}: only the holder of a
    /// key can register it, so nobody can claim another node's key to disturb the chains they share.
    ///
    /// Emits a {ConsensusKeySet} event.
    ///
    /// Requirements:
    /// - the caller is the node's address or its validator's owner;
    /// - the node has not left;
    /// - `consensusKey` is not zero, not the node's own address, and not the key of any node (this one included);
    /// - `proof` is `consensusKey`'s signature of {consensusKeyMessage}(`nodeId`, `consensusKey`).
    function setConsensusKey(uint256 nodeId, address consensusKey, bytes calldata proof) external {
        NodeState storage s = _requireOperator(nodeId);
        if (s.status == NodeStatus.Left) revert InvalidNodeStatus(nodeId, s.status);
        if (consensusKey == address(0) || consensusKey == _records[nodeId].nodeAddress) revert InvalidConsensusKey(consensusKey);
        uint256 holder = _nodeIdOfConsensusKey[consensusKey];
        if (holder != 0) revert ConsensusKeyTaken(consensusKey, holder);
        (address signer, ECDSA.RecoverError err, ) =
            ECDSA.tryRecover(MessageHashUtils.toEthSignedMessageHash(consensusKeyMessage(nodeId, consensusKey)), proof);
        if (err != ECDSA.RecoverError.NoError || signer != consensusKey) revert InvalidConsensusKeyProof(consensusKey, signer);
        address previous = _consensusKey[nodeId];
        if (previous != address(0)) delete _nodeIdOfConsensusKey[previous];
        _consensusKey[nodeId] = consensusKey;
        _nodeIdOfConsensusKey[consensusKey] = nodeId;
        emit ConsensusKeySet(nodeId, consensusKey, previous);
    }

    /// @notice The 32 bytes a consensus key signs (as an EIP-191 personal message) to be registered for node
    /// `nodeId`: bound to this registry, the Ethereum chain, the node and the key, so a proof is good for nothing else.
    function consensusKeyMessage(uint256 nodeId, address consensusKey) public view returns (bytes32) {
        return keccak256(abi.encode("flotilla.consensus-key", block.chainid, address(this), nodeId, consensusKey));
    }

    /// @notice Node `nodeId`'s consensus key; zero while none is set.
    function consensusKeyOf(uint256 nodeId) external view returns (address) {
        return _consensusKey[nodeId];
    }

    /// @notice The consensus keys of `nodeIds` (zero for a node without one): a chain's member set in one call.
    function consensusKeysOf(uint256[] calldata nodeIds) external view returns (address[] memory keys) {
        keys = new address[](nodeIds.length);
        for (uint256 k = 0; k < nodeIds.length; ++k) keys[k] = _consensusKey[nodeIds[k]];
    }

    /// @notice The node whose consensus key is `consensusKey`; zero when none.
    function nodeIdOfConsensusKey(address consensusKey) external view returns (uint256) {
        return _nodeIdOfConsensusKey[consensusKey];
    }

    /// @notice Sets or clears the Incompliant flag of node `nodeId` (an incompliant node gets no new chains).
    ///
    /// Emits a {NodeComplianceChanged} event.
    ///
    /// Requirements:
    /// - the caller has COMPLIANCE_ROLE;
    /// - the node exists and the flag changes.
    function setCompliance(uint256 nodeId, bool incompliant) external onlyRole(COMPLIANCE_ROLE) {
        _setIncompliant(nodeId, incompliant);
    }

    // ------------------------------------------------------------------ placement (sidechain manager)

    /// @notice Picks `count` distinct nodes for new chain `chainId`, takes `units` and a slot on each.
    /// @dev Requirements: the caller has PLACEMENT_ROLE; enough eligible nodes have `units` free units.
    function placeChain(uint256 chainId, uint8 units, uint256 count, bytes32 seed)
        external
        onlyRole(PLACEMENT_ROLE)
        returns (uint256[] memory nodeIds)
    {
        Selection memory sel = _newSelection(chainId, units, seed, count, count);
        nodeIds = new uint256[](count);
        for (uint256 k = 0; k < count; ++k) {
            nodeIds[k] = _draw(sel, count - k);
        }
        for (uint256 k = 0; k < count; ++k) {
            _place(nodeIds[k], chainId, units);
        }
    }

    /// @notice Replaces `leavingNode` in chain `chainId` (current members `members`) by a node drawn by the
    /// same rules as at creation, excluding the chain's last PAST_MEMBERS_EXCLUDED leavers unless nobody else
    /// can join. The leaving node's units are freed now; its port slot stays reserved until `slotHeldUntil`,
    /// while its subnode still serves.
    /// @dev Requirements: the caller has PLACEMENT_ROLE; a replacement exists.
    function replaceMember(
        uint256 chainId,
        uint8 units,
        uint256 leavingNode,
        uint256[] calldata members,
        bytes32 seed,
        uint40 slotHeldUntil
    ) external onlyRole(PLACEMENT_ROLE) returns (uint256 joiningNode) {
        Selection memory sel = _newSelection(chainId, units, seed, members.length, members.length + PAST_MEMBERS_EXCLUDED + 1);
        for (uint256 k = 0; k < members.length; ++k) {
            if (members[k] != leavingNode) _useValidator(sel, _state[members[k]].validatorId);
            _skip(sel, members[k], false);
        }
        _skipRecent(sel, chainId);
        joiningNode = _draw(sel, 1);
        _leave(chainId, leavingNode, units, slotHeldUntil);
        _place(joiningNode, chainId, units);
    }

    /// @notice Resizes chain `chainId` from `units` to `newUnits` units per node. Releases the `removed` members
    /// (their slots held until `slotHeldUntil`); changes the units of each `kept` member in place when its node has
    /// the free units, and replaces the others; then adds `added` members. Replacements and new members are drawn as
    /// at creation, in one selection: the validators of the members kept in place count for diversity (at most f
    /// seats each for the new size), members and the chain's recent leavers (the removed and replaced ones
    /// included) are excluded unless nobody else can join. Replaced members' units are freed now, their slots held
    /// until `slotHeldUntil`.
    /// @dev Requirements: the caller has PLACEMENT_ROLE; the draws find the nodes.
    /// @return members the new member set: `kept` in order, replaced ones at their index, then the added ones.
    function resizeChain(ResizeParams calldata p, uint256[] calldata kept, uint256[] calldata removed)
        external
        onlyRole(PLACEMENT_ROLE)
        returns (uint256[] memory members)
    {
        for (uint256 k = 0; k < removed.length; ++k) {
            _leave(p.chainId, removed[k], p.units, p.slotHeldUntil);
        }
        members = new uint256[](kept.length + p.added);
        uint256 toDraw = p.added;
        for (uint256 k = 0; k < kept.length; ++k) {
            NodeState storage s = _state[kept[k]];
            // Units after giving back the chain's current ones; enough when they cover the new size.
            uint256 room = uint256(s.freeUnits) + p.units;
            if (room >= p.newUnits) {
                _setIndexed(kept[k], s, room - p.newUnits, _eligible(s));
                members[k] = kept[k];
            } else {
                ++toDraw;
            }
        }
        if (toDraw == 0) return members;
        Selection memory sel =
            _newSelection(p.chainId, p.newUnits, p.seed, members.length, members.length + PAST_MEMBERS_EXCLUDED);
        for (uint256 k = 0; k < kept.length; ++k) {
            if (members[k] != 0) _useValidator(sel, _state[kept[k]].validatorId);
            _skip(sel, kept[k], false);
        }
        _skipRecent(sel, p.chainId);
        for (uint256 k = 0; k < members.length; ++k) {
            if (members[k] == 0) members[k] = _draw(sel, toDraw--);
        }
        for (uint256 k = 0; k < members.length; ++k) {
            if (k < kept.length) {
                if (members[k] == kept[k]) continue;
                _leave(p.chainId, kept[k], p.units, p.slotHeldUntil);
            }
            _place(members[k], p.chainId, p.newUnits);
        }
    }

    /// @notice Frees the units and slots of chain `chainId` on all its `members`.
    /// @dev Requirements: the caller has PLACEMENT_ROLE; the chain is placed on every member.
    function removeChain(uint256 chainId, uint8 units, uint256[] calldata members)
        external
        onlyRole(PLACEMENT_ROLE)
    {
        for (uint256 k = 0; k < members.length; ++k) {
            _release(members[k], chainId, units, 0);
        }
    }

    /// @notice Flags node `nodeId` Incompliant after its peers reported it down.
    /// @dev Requirements: the caller has PLACEMENT_ROLE. Does nothing when the node is already flagged.
    function markIncompliant(uint256 nodeId) external onlyRole(PLACEMENT_ROLE) {
        if (!_state[nodeId].incompliant) _setIncompliant(nodeId, true);
    }

    /// @notice Marks a Leaving node that serves no chain any more as Left, freeing its name, endpoint and
    /// address and releasing its validator's stake reservation.
    ///
    /// Emits a {NodeStatusChanged} event.
    ///
    /// Requirements: the caller has PLACEMENT_ROLE; the node is Leaving and serves no chain.
    function completeExit(uint256 nodeId) external onlyRole(PLACEMENT_ROLE) {
        _completeExit(nodeId);
    }

    /// @notice Marks node `nodeId` Left if it is Leaving and serves no chain any more; otherwise does nothing.
    /// @dev Requirements: the caller has PLACEMENT_ROLE.
    function completeExitIfDone(uint256 nodeId) external onlyRole(PLACEMENT_ROLE) {
        NodeState storage s = _state[nodeId];
        if (s.status == NodeStatus.Leaving && s.placementCount == 0) _completeExit(nodeId);
    }

    function _completeExit(uint256 nodeId) private {
        NodeState storage s = _requireNode(nodeId);
        if (s.status != NodeStatus.Leaving) revert InvalidNodeStatus(nodeId, s.status);
        uint256 chains = s.placementCount;
        if (chains != 0) revert NodeStillPlaced(nodeId, chains);
        s.status = NodeStatus.Left;
        NodeRecord storage r = _records[nodeId];
        delete _nodeIdOfAddress[r.nodeAddress];
        delete _nodeIdOfName[keccak256(bytes(r.name))];
        delete _nodeIdOfEndpoint[bytes6(abi.encodePacked(r.ip, r.basePort))];
        delete _nodeIdOfConsensusKey[_consensusKey[nodeId]];
        validators.onNodeLeft(r.nodeAddress);
        emit NodeStatusChanged(nodeId, NodeStatus.Left);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc INodeRegistry
    function nodeIdOf(address nodeAddress) external view returns (uint256) {
        return _nodeIdOfAddress[nodeAddress];
    }

    /// @inheritdoc INodeRegistry
    function getNode(uint256 nodeId) external view returns (NodeView memory) {
        NodeState storage s = _requireNode(nodeId);
        NodeRecord storage r = _records[nodeId];
        return NodeView({
            id: nodeId,
            name: r.name,
            ip: r.ip,
            basePort: r.basePort,
            nodeAddress: r.nodeAddress,
            validatorId: s.validatorId,
            publicKey: r.publicKey,
            domain: r.domain,
            capacity: r.capacity,
            status: s.status,
            incompliant: s.incompliant,
            freeUnits: s.freeUnits,
            createdAt: r.createdAt
        });
    }

    /// @inheritdoc INodeRegistry
    function statusOf(uint256 nodeId) external view returns (NodeStatus) {
        return _state[nodeId].status;
    }

    /// @inheritdoc INodeRegistry
    function placementsOf(uint256 nodeId) external view returns (Placement[] memory placements) {
        uint256 count = _state[nodeId].placementCount;
        placements = new Placement[](count);
        for (uint256 k = 0; k < count; ++k) {
            uint256 entry = _placementAt(nodeId, k);
            placements[k] = Placement({chainId: entry >> 8, slot: uint8(entry)});
        }
    }

    /// @inheritdoc INodeRegistry
    function slotOf(uint256 nodeId, uint256 chainId) external view returns (uint8) {
        (, uint8 slot) = _findPlacement(nodeId, chainId);
        return slot;
    }

    /// @notice Whether node `nodeId` served chain `chainId` before and was rotated out of it.
    function wasMember(uint256 chainId, uint256 nodeId) external view returns (bool) {
        return _wasMember[chainId][nodeId];
    }

    /// @notice Nodes `nodeIds`, members of chain `chainId`, as peers reach them (slots only when `withSlots`).
    function memberViews(uint256 chainId, uint256[] calldata nodeIds, bool withSlots)
        external
        view
        returns (MemberView[] memory members)
    {
        members = new MemberView[](nodeIds.length);
        for (uint256 k = 0; k < nodeIds.length; ++k) {
            uint256 id = nodeIds[k];
            NodeRecord storage r = _records[id];
            uint8 slot = 0;
            if (withSlots) (, slot) = _findPlacement(id, chainId);
            members[k] = MemberView({
                nodeId: id,
                nodeAddress: r.nodeAddress,
                ip: r.ip,
                basePort: r.basePort,
                slot: slot,
                firstPort: r.basePort + uint16(slot) * PORTS_PER_SLOT,
                publicKey: r.publicKey,
                domain: r.domain
            });
        }
    }

    /// @notice How many of `nodeIds` selected by bitmap `mask` (bit k for nodeIds[k]) count, each validator
    /// counting for at most `cap` of its nodes.
    function countByValidator(uint256[] calldata nodeIds, uint64 mask, uint256 cap) external view returns (uint256 count) {
        uint256[] memory seen = new uint256[](nodeIds.length);
        uint256[] memory seenCount = new uint256[](nodeIds.length);
        uint256 distinct = 0;
        for (uint256 k = 0; k < nodeIds.length && k < 64; ++k) {
            if (mask & (uint64(1) << uint64(k)) == 0) continue;
            uint256 v = _state[nodeIds[k]].validatorId;
            uint256 at = 0;
            while (at < distinct && seen[at] != v) ++at;
            if (at == distinct) seen[distinct++] = v;
            if (seenCount[at] < cap) {
                seenCount[at] += 1;
                count += 1;
            }
        }
    }

    /// @inheritdoc INodeRegistry
    function validatorOf(uint256 nodeId) external view returns (uint256) {
        return _state[nodeId].validatorId;
    }

    /// @notice Number of nodes a chain needing `units` units may be drawn from now (ignoring validator rules):
    /// those with at least `units` free units rounded up to a power of two.
    function eligibleNodeCount(uint8 units) external view returns (uint256) {
        uint256 size = _treeSize;
        return units == 0 || units > UNITS_PER_NODE || size == 0 ? 0 : _sumFrom(_tree[size], _classAtLeast(units));
    }

    /// @notice The last nodes rotated out of chain `chainId` (newest first, at most PAST_MEMBERS_EXCLUDED),
    /// which its draws exclude unless nobody else can join.
    function recentLeaversOf(uint256 chainId) external view returns (uint256[] memory leavers) {
        uint256[2] storage recent = _recentLeavers[chainId];
        leavers = new uint256[](PAST_MEMBERS_EXCLUDED);
        uint256 n = 0;
        for (uint256 w = 0; w < 2; ++w) {
            for (uint256 word = recent[w]; word != 0; word >>= 32) {
                if (uint32(word) != 0) leavers[n++] = uint32(word);
            }
        }
        assembly ("memory-safe") {
            mstore(leavers, n)
        }
    }

    /// @notice Number of nodes ever created (ids run from 1 to this number).
    function nodeCount() external view returns (uint256) {
        return _nodeCount;
    }

    // ------------------------------------------------------------------ selection

    function _newSelection(uint256 chainId, uint8 units, bytes32 seed, uint256 seats, uint256 skips)
        private
        view
        returns (Selection memory sel)
    {
        sel.chainId = chainId;
        sel.units = units;
        sel.minClass = _classAtLeast(units);
        sel.seed = seed;
        uint256 size = _treeSize;
        sel.total = size == 0 ? 0 : _sumFrom(_tree[size], sel.minClass);
        sel.usedValidators = new uint256[](seats);
        sel.seatsOf = new uint256[](seats);
        sel.weightOf = new uint256[](seats);
        // At most f = (n-1)/3 seats per validator (at least 1), so that no validator alone is a quorum.
        uint256 f = seats == 0 ? 0 : (seats - 1) / 3;
        sel.maxSeats = f == 0 ? 1 : f;
        sel.skipNode = new uint256[](skips);
        sel.skipValidator = new uint256[](skips);
        sel.skipRank = new uint256[](skips);
        sel.skipPast = new uint256[](skips);
        sel.skipUsed = new uint256[](skips);
    }

    /// @dev Draws one node uniformly among the candidates: indexed with enough free units, not skipped one by
    /// one, of a validator below its seat limit. When there is none the rules relax one level (up to f seats
    /// per validator, then recent past members allowed); when even that finds nobody it reverts.
    function _draw(Selection memory sel, uint256 stillNeeded) private returns (uint256 nodeId) {
        while (true) {
            (uint256[] memory exValidator, uint256[] memory exWeight, uint256 exCount, uint256 available, uint256 refused) =
                _exclusions(sel);
            if (available == 0) {
                if (_relax(sel)) continue;
                if (refused != 0) revert TooFewValidators(sel.chainId, sel.maxSeats, stillNeeded);
                revert NotEnoughEligibleNodes(sel.chainId, sel.units, stillNeeded);
            }
            uint256 rank = uint256(keccak256(abi.encode(sel.seed, sel.draws++))) % available;
            // Top level: the validator holding rank `rank`, skipped weights subtracted range by range. The
            // exclusions kept are those inside the current range (position, position + 2 step], which halves.
            uint256 position = 0;
            for (uint256 step = _treeSize >> 1; step > 0; step >>= 1) {
                uint256 next = position + step;
                uint256 weight = _sumFrom(_tree[next], sel.minClass);
                for (uint256 j = 0; j < exCount; ++j) {
                    if (exValidator[j] <= next) weight -= exWeight[j];
                }
                bool right = weight <= rank;
                if (right) {
                    position = next;
                    rank -= weight;
                }
                uint256 kept = 0;
                for (uint256 j = 0; j < exCount; ++j) {
                    if ((exValidator[j] > next) == right) {
                        exValidator[kept] = exValidator[j];
                        exWeight[kept++] = exWeight[j];
                    }
                }
                exCount = kept;
            }
            uint256 validatorId = position + 1;
            rank = _skipRanks(sel, validatorId, rank);
            // A validator's array holds its highest classes first: the rank is the position.
            nodeId = _memberAt(validatorId, rank);
            NodeState storage s = _state[nodeId];
            if (!_hasFreeSlot(nodeId, s)) {
                _skip(sel, nodeId, false);
                continue;
            }
            _useValidator(sel, validatorId);
            _skip(sel, nodeId, false);
            return nodeId;
        }
    }

    /// @dev What the current level excludes: validators at their seat limit (whole weight) and validators with
    /// nodes skipped one by one (their count), the candidates left, and how many were refused only for the
    /// seat limit.
    function _exclusions(Selection memory sel)
        private
        pure
        returns (uint256[] memory exValidator, uint256[] memory exWeight, uint256 n, uint256 available, uint256 refused)
    {
        exValidator = new uint256[](sel.usedCount + sel.skipCount);
        exWeight = new uint256[](sel.usedCount + sel.skipCount);
        uint256 cap = sel.level == 0 ? 1 : sel.maxSeats;
        uint256 excluded = 0;
        for (uint256 k = 0; k < sel.usedCount; ++k) {
            if (sel.seatsOf[k] < cap) continue;
            exValidator[n] = sel.usedValidators[k];
            exWeight[n++] = sel.weightOf[k];
            excluded += sel.weightOf[k];
            refused += sel.weightOf[k];
        }
        uint256 whole = n;
        for (uint256 k = 0; k < sel.skipCount; ++k) {
            if (sel.skipPast[k] != 0 && sel.level == 2) continue;
            uint256 v = sel.skipValidator[k];
            uint256 used = sel.skipUsed[k];
            if (used == 0) {
                used = _usedIndex(sel, v);
                sel.skipUsed[k] = used;
            }
            if (used != 0 && sel.seatsOf[used - 1] >= cap) {
                refused -= 1;
                continue;
            }
            uint256 at = whole;
            while (at < n && exValidator[at] != v) ++at;
            if (at == n) exValidator[n++] = v;
            exWeight[at] += 1;
            excluded += 1;
        }
        available = sel.total - excluded;
    }

    function _relax(Selection memory sel) private pure returns (bool) {
        if (sel.level == 0 && sel.maxSeats > 1) {
            sel.level = 1;
            return true;
        }
        if (sel.level < 2 && sel.hasPast) {
            sel.level = 2;
            return true;
        }
        return false;
    }

    /// @dev The rank within validator `validatorId` of its `rank`-th node that is not skipped one by one.
    function _skipRanks(Selection memory sel, uint256 validatorId, uint256 rank) private pure returns (uint256) {
        // Skipped ranks of this validator, ascending (few: insertion sort).
        uint256[] memory ranks = new uint256[](sel.skipCount);
        uint256 n = 0;
        for (uint256 k = 0; k < sel.skipCount; ++k) {
            if (sel.skipValidator[k] != validatorId || (sel.skipPast[k] != 0 && sel.level == 2)) continue;
            uint256 r = sel.skipRank[k];
            uint256 at = n++;
            while (at > 0 && ranks[at - 1] > r) {
                ranks[at] = ranks[at - 1];
                --at;
            }
            ranks[at] = r;
        }
        for (uint256 k = 0; k < n && ranks[k] <= rank; ++k) {
            ++rank;
        }
        return rank;
    }

    /// @dev Skips node `nodeId` one by one from now on (only if it is a candidate by free units at all).
    function _skip(Selection memory sel, uint256 nodeId, bool past) private view {
        NodeState storage s = _state[nodeId];
        if (!s.inIndex) return;
        uint256 class_ = _classOf(s.freeUnits);
        if (class_ < sel.minClass) return;
        for (uint256 k = 0; k < sel.skipCount; ++k) {
            if (sel.skipNode[k] == nodeId) return;
        }
        if (sel.skipCount == sel.skipNode.length) {
            sel.skipNode = _grow(sel.skipNode);
            sel.skipValidator = _grow(sel.skipValidator);
            sel.skipRank = _grow(sel.skipRank);
            sel.skipPast = _grow(sel.skipPast);
            sel.skipUsed = _grow(sel.skipUsed);
        }
        uint256 validatorId = s.validatorId;
        uint256 at = sel.skipCount++;
        sel.skipNode[at] = nodeId;
        sel.skipValidator[at] = validatorId;
        sel.skipUsed[at] = _usedIndex(sel, validatorId);
        // Order within a validator: its array, highest class first.
        sel.skipRank[at] = s.bucketPos;
        if (past) {
            sel.skipPast[at] = 1;
            sel.hasPast = true;
        }
    }

    function _useValidator(Selection memory sel, uint256 validatorId) private view {
        for (uint256 k = 0; k < sel.usedCount; ++k) {
            if (sel.usedValidators[k] == validatorId) {
                sel.seatsOf[k] += 1;
                return;
            }
        }
        uint256 at = sel.usedCount++;
        sel.usedValidators[at] = validatorId;
        sel.seatsOf[at] = 1;
        sel.weightOf[at] = _sumFrom(_countsOf[validatorId], sel.minClass);
    }

    /// @dev 1 + the index of `validatorId` among the validators holding seats, 0 if it holds none.
    function _usedIndex(Selection memory sel, uint256 validatorId) private pure returns (uint256) {
        for (uint256 k = 0; k < sel.usedCount; ++k) {
            if (sel.usedValidators[k] == validatorId) return k + 1;
        }
        return 0;
    }

    function _grow(uint256[] memory values) private pure returns (uint256[] memory grown) {
        grown = new uint256[](values.length * 2 + 1);
        for (uint256 k = 0; k < values.length; ++k) {
            grown[k] = values[k];
        }
    }

    // ------------------------------------------------------------------ placement internals

    function _place(uint256 nodeId, uint256 chainId, uint8 units) private {
        NodeState storage s = _state[nodeId];
        uint8 slot = _allocateSlot(nodeId, s);
        _setPlacementAt(nodeId, s.placementCount++, (chainId << 8) | slot);
        _setIndexed(nodeId, s, s.freeUnits - units, _eligible(s));
    }

    /// @dev Node `nodeId` leaves chain `chainId`: released, and remembered among the chain's recent leavers.
    function _leave(uint256 chainId, uint256 nodeId, uint8 units, uint40 slotHeldUntil) private {
        _release(nodeId, chainId, units, slotHeldUntil);
        _wasMember[chainId][nodeId] = true;
        uint256[2] storage recent = _recentLeavers[chainId];
        recent[1] = (recent[1] << 32) | (recent[0] >> 224);
        recent[0] = (recent[0] << 32) | uint32(nodeId);
    }

    /// @dev Skips the chain's recent leavers (allowed again at the last level of relaxation).
    function _skipRecent(Selection memory sel, uint256 chainId) private view {
        uint256[2] storage recent = _recentLeavers[chainId];
        for (uint256 w = 0; w < 2; ++w) {
            for (uint256 word = recent[w]; word != 0; word >>= 32) {
                if (uint32(word) != 0) _skip(sel, uint32(word), true);
            }
        }
    }

    function _release(uint256 nodeId, uint256 chainId, uint8 units, uint40 slotHeldUntil) private {
        (uint256 position, uint8 slot) = _findPlacement(nodeId, chainId);
        NodeState storage s = _state[nodeId];
        uint256 last = --s.placementCount;
        if (position != last) _setPlacementAt(nodeId, position, _placementAt(nodeId, last));
        _setPlacementAt(nodeId, last, 0);
        if (slotHeldUntil > block.timestamp) {
            _slotHolds[nodeId].push(SlotHold({slot: slot, until: slotHeldUntil}));
            s.holdCount += 1;
        } else {
            s.slotsInUse &= ~(uint128(1) << slot);
        }
        _setIndexed(nodeId, s, s.freeUnits + units, _eligible(s));
    }

    /// @dev Lowest free port slot; slots held by leaving subnodes are released first once their time is over.
    function _allocateSlot(uint256 nodeId, NodeState storage s) private returns (uint8) {
        _releaseExpiredHolds(nodeId, s);
        uint128 inUse = s.slotsInUse;
        for (uint8 slot = 0; slot < UNITS_PER_NODE; ++slot) {
            uint128 bit = uint128(1) << slot;
            if (inUse & bit == 0) {
                s.slotsInUse = inUse | bit;
                return slot;
            }
        }
        revert NoFreeSlot(nodeId);
    }

    /// @dev A node whose 128 slots are all taken (some held by leaving subnodes) cannot take a chain even with
    /// free units; selection passes it over instead of failing.
    function _hasFreeSlot(uint256 nodeId, NodeState storage s) private returns (bool) {
        if (s.slotsInUse != type(uint128).max) return true;
        _releaseExpiredHolds(nodeId, s);
        return s.slotsInUse != type(uint128).max;
    }

    function _releaseExpiredHolds(uint256 nodeId, NodeState storage s) private {
        if (s.holdCount == 0) return;
        uint128 inUse = s.slotsInUse;
        SlotHold[] storage holds = _slotHolds[nodeId];
        for (uint256 k = holds.length; k > 0; --k) {
            SlotHold memory hold = holds[k - 1];
            if (hold.until <= block.timestamp) {
                inUse &= ~(uint128(1) << hold.slot);
                holds[k - 1] = holds[holds.length - 1];
                holds.pop();
                s.holdCount -= 1;
            }
        }
        s.slotsInUse = inUse;
    }

    function _findPlacement(uint256 nodeId, uint256 chainId) private view returns (uint256 position, uint8 slot) {
        uint256 count = _state[nodeId].placementCount;
        for (uint256 k = 0; k < count; ++k) {
            uint256 entry = _placementAt(nodeId, k);
            if (entry >> 8 == chainId) return (k, uint8(entry));
        }
        revert NotPlaced(chainId, nodeId);
    }

    function _placementAt(uint256 nodeId, uint256 k) private view returns (uint256) {
        return uint64(_placementWords[nodeId][k >> 2] >> ((k & 3) * 64));
    }

    function _setPlacementAt(uint256 nodeId, uint256 k, uint256 entry) private {
        uint256 shift = (k & 3) * 64;
        uint256 word = _placementWords[nodeId][k >> 2];
        _placementWords[nodeId][k >> 2] = (word & ~(uint256(type(uint64).max) << shift)) | (entry << shift);
    }

    function _checkNodeParams(NodeParams calldata params) private view returns (bytes32 nameKey, bytes6 endpoint) {
        uint256 existing = _nodeIdOfAddress[msg.sender];
        if (existing != 0) revert NodeAddressHasNode(msg.sender, existing);
        uint256 nameLength = bytes(params.name).length;
        if (nameLength == 0 || nameLength > 64) revert InvalidNodeName(params.name);
        nameKey = keccak256(bytes(params.name));
        if (_nodeIdOfName[nameKey] != 0) revert NodeNameTaken(params.name, _nodeIdOfName[nameKey]);
        if (
            params.ip == bytes4(0) || params.basePort < MIN_BASE_PORT
                || uint256(params.basePort) + uint256(UNITS_PER_NODE) * PORTS_PER_SLOT > 65536
        ) revert InvalidEndpoint(params.ip, params.basePort);
        endpoint = bytes6(abi.encodePacked(params.ip, params.basePort));
        if (_nodeIdOfEndpoint[endpoint] != 0) {
            revert EndpointTaken(params.ip, params.basePort, _nodeIdOfEndpoint[endpoint]);
        }
        address derived = params.publicKey.length == 64 ? address(uint160(uint256(keccak256(params.publicKey)))) : address(0);
        if (derived != msg.sender) revert InvalidPublicKey(msg.sender, derived);
        Capacity calldata c = params.capacity;
        if (c.cpuMillicores == 0 || c.memoryMiB == 0 || c.diskGiB == 0) {
            revert InvalidCapacity(c.cpuMillicores, c.memoryMiB, c.diskGiB);
        }

    }

    function _setIncompliant(uint256 nodeId, bool incompliant) private {
        NodeState storage s = _requireNode(nodeId);
        if (s.incompliant == incompliant) revert ComplianceUnchanged(nodeId, incompliant);
        s.incompliant = incompliant;
        _setIndexed(nodeId, s, s.freeUnits, _eligible(s));
        emit NodeComplianceChanged(nodeId, incompliant);
    }

    function _eligible(NodeState storage s) private view returns (bool) {
        return s.status == NodeStatus.Active && !s.incompliant;
    }

    function _requireNode(uint256 nodeId) private view returns (NodeState storage s) {
        s = _state[nodeId];
        if (s.status == NodeStatus.None) revert UnknownNode(nodeId);
    }

    function _requireOperator(uint256 nodeId) private view returns (NodeState storage s) {
        s = _requireNode(nodeId);
        if (msg.sender != _records[nodeId].nodeAddress && msg.sender != validators.validatorOwner(s.validatorId)) {
            revert NotNodeOperator(nodeId, msg.sender);
        }
    }

    // ------------------------------------------------------------------ free-space index

    /// @dev Sets node `nodeId`'s free units to `freeUnits` and keeps it in the index exactly when `eligible`
    /// and it has free units. Only a change of class moves it: across the segments of its validator's array
    /// between the two classes (one swap per segment crossed, at most 8), and its count moved in its validator's
    /// word and every Fenwick entry above it.
    function _setIndexed(uint256 nodeId, NodeState storage s, uint256 freeUnits, bool eligible) private {
        // Segments: class + 1; 0 means "not indexed", just past the end of the array.
        uint256 from = s.inIndex ? _classOf(s.freeUnits) + 1 : 0;
        uint256 to = eligible && freeUnits != 0 ? _classOf(freeUnits) + 1 : 0;
        s.freeUnits = uint8(freeUnits);
        if (from == to) return;
        uint256 validatorId = s.validatorId;
        uint256 original = _countsOf[validatorId];
        uint256 counts = original;
        uint256 position = s.bucketPos;
        if (from == 0) {
            // A node entering the index starts just past the end of the array.
            position = _sumFrom(counts, 0);
            _setMemberAt(validatorId, position, nodeId);
        }
        unchecked {
            // Toward lower classes: swap with the last of the segment, which then ends one earlier.
            while (from > to) {
                uint256 last = _sumFrom(counts, from - 1) - 1;
                if (position != last) _swap(validatorId, nodeId, position, last);
                position = last;
                counts -= uint256(1) << ((from - 1) << 5);
                if (from > 1) counts += uint256(1) << ((from - 2) << 5);
                --from;
            }
            // Toward higher classes: swap with the first of the segment, which then starts one later.
            while (from < to) {
                if (from != 0) {
                    uint256 first = _sumFrom(counts, from);
                    if (position != first) _swap(validatorId, nodeId, position, first);
                    position = first;
                    counts -= uint256(1) << ((from - 1) << 5);
                }
                counts += uint256(1) << (from << 5);
                ++from;
            }
        }
        s.bucketPos = uint32(position);
        s.inIndex = to != 0;
        _countsOf[validatorId] = counts;
        // The net change (one node from class from - 1 to class to - 1) in every Fenwick entry above the
        // validator, growing the tree first when the validator id is beyond it.
        uint256 size = _treeSize;
        if (validatorId > size) size = _growTree(size, validatorId);
        unchecked {
            uint256 delta = counts - original;
            for (uint256 i = validatorId; i <= size; i += i & (0 - i)) {
                _tree[i] += delta;
            }
        }
    }

    /// @dev Swaps node `nodeId` at `position` of its validator's array with the node at `other`.
    function _swap(uint256 validatorId, uint256 nodeId, uint256 position, uint256 other) private {
        uint256 moved = _memberAt(validatorId, other);
        _setMemberAt(validatorId, position, moved);
        _setMemberAt(validatorId, other, nodeId);
        _state[moved].bucketPos = uint32(position);
    }

    function _memberAt(uint256 validatorId, uint256 position) private view returns (uint256) {
        return uint32(_buckets[validatorId][position >> 3] >> ((position & 7) << 5));
    }

    function _setMemberAt(uint256 validatorId, uint256 position, uint256 nodeId) private {
        mapping(uint256 => uint256) storage words = _buckets[validatorId];
        uint256 key = position >> 3;
        uint256 shift = (position & 7) << 5;
        words[key] = (words[key] & ~(uint256(type(uint32).max) << shift)) | (nodeId << shift);
    }

    /// @dev Doubles the Fenwick tree until it covers `validatorId`: the new top entry covers everything, so it
    /// starts as a copy of the old top entry; the other new entries cover validators with no node yet.
    function _growTree(uint256 size, uint256 validatorId) private returns (uint256) {
        if (size == 0) size = 1;
        while (size < validatorId) {
            uint256 top = _tree[size];
            if (top != 0) _tree[size << 1] = top;
            size <<= 1;
        }
        _treeSize = size;
        return size;
    }

    /// @dev The class of `freeUnits` (1..128) free units: floor(log2 freeUnits).
    function _classOf(uint256 freeUnits) private pure returns (uint256 class_) {
        while ((uint256(2) << class_) <= freeUnits) ++class_;
    }

    /// @dev The lowest class whose nodes all have at least `units` free units: ceil(log2 units).
    function _classAtLeast(uint256 units) private pure returns (uint256 class_) {
        while ((uint256(1) << class_) < units) ++class_;
    }

    /// @dev Sum of the counts of classes `class_` and above in counts word `counts`.
    function _sumFrom(uint256 counts, uint256 class_) private pure returns (uint256 sum) {
        unchecked {
            for (counts = class_ >= 8 ? 0 : counts >> (class_ << 5); counts != 0; counts >>= 32) {
                sum += uint32(counts);
            }
        }
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}
}
