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
/// Selection keeps every eligible node (Active, not Incompliant, some free space) in a bucket by its free
/// units, and a Fenwick tree over the 128 buckets counts nodes per bucket. Drawing a node uniformly among
/// those with at least `u` free units is one prefix descent over the tree (8 steps) plus one array read,
/// so a pick costs O(log 128) storage accesses whatever the number of registered nodes.
contract NodeRegistry is Initializable, AccessControlUpgradeable, UUPSUpgradeable, INodeRegistry {
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    /// @notice Held by the sidechain manager: places, moves and removes chains, marks nodes incompliant.
    bytes32 public constant PLACEMENT_ROLE = keccak256("PLACEMENT_ROLE");
    /// @notice May clear the Incompliant flag after an operator fixed the node.
    bytes32 public constant COMPLIANCE_ROLE = keccak256("COMPLIANCE_ROLE");

    uint8 public constant UNITS_PER_NODE = 128;
    uint16 public constant PORTS_PER_SLOT = 16;
    uint16 public constant MIN_BASE_PORT = 1024;
    uint256 private constant TREE_SIZE = 128;

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

    /// @dev Working memory of one selection. Candidates that are drawn but rejected leave the index until the
    /// selection ends, so every draw is uniform over the candidates not yet rejected.
    struct Selection {
        uint256 chainId;
        uint8 units;
        bytes32 seed;
        uint256 draws;
        // 0: distinct validators and no past members; 1: past members allowed; 2: a validator may hold up to
        // `maxSeats` seats.
        uint8 level;
        bool checkPast;
        uint256 maxSeats;
        uint256[] members;
        uint256[] usedValidators;
        uint256[] seatsOf;
        uint256 usedCount;
        uint256[] setAside;
        uint256 setAsideCount;
        uint256[] parked;
        uint256 parkedCount;
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
    mapping(uint256 freeUnits => uint32[]) private _buckets;
    // Fenwick tree over index 129 - freeUnits (1..128), counting indexed nodes.
    mapping(uint256 index => uint256) private _tree;
    uint256 private _nodeCount;
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
        _index(nodeId, s);
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
        if (on) _unindex(s);
        else if (!s.incompliant) _index(nodeId, s);
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
        _unindex(s);
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
        Selection memory sel = _newSelection(chainId, units, seed, new uint256[](0), count, false);
        nodeIds = new uint256[](count);
        for (uint256 k = 0; k < count; ++k) {
            nodeIds[k] = _draw(sel, count - k);
        }
        _endSelection(sel);
        for (uint256 k = 0; k < count; ++k) {
            _place(nodeIds[k], chainId, units);
        }
    }

    /// @notice Replaces `leavingNode` in chain `chainId` (current members `members`) by a node drawn by the
    /// same rules as at creation, preferring nodes that never served the chain. The leaving node's units are
    /// freed now; its port slot stays reserved until `slotHeldUntil`, while its subnode still serves.
    /// @dev Requirements: the caller has PLACEMENT_ROLE; a replacement exists.
    function replaceMember(
        uint256 chainId,
        uint8 units,
        uint256 leavingNode,
        uint256[] calldata members,
        bytes32 seed,
        uint40 slotHeldUntil
    ) external onlyRole(PLACEMENT_ROLE) returns (uint256 joiningNode) {
        Selection memory sel = _newSelection(chainId, units, seed, members, members.length, true);
        for (uint256 k = 0; k < members.length; ++k) {
            if (members[k] != leavingNode) _useValidator(sel, _state[members[k]].validatorId);
        }
        joiningNode = _draw(sel, 1);
        _endSelection(sel);
        _release(leavingNode, chainId, units, slotHeldUntil);
        _wasMember[chainId][leavingNode] = true;
        _place(joiningNode, chainId, units);
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

    /// @notice Number of nodes that could take a chain needing `units` units now (ignoring validator rules).
    function eligibleNodeCount(uint8 units) external view returns (uint256) {
        return units == 0 || units > UNITS_PER_NODE ? 0 : _countAtLeast(units);
    }

    /// @notice Number of nodes ever created (ids run from 1 to this number).
    function nodeCount() external view returns (uint256) {
        return _nodeCount;
    }

    // ------------------------------------------------------------------ selection

    function _newSelection(
        uint256 chainId,
        uint8 units,
        bytes32 seed,
        uint256[] memory members,
        uint256 validatorSlots,
        bool checkPast
    ) private pure returns (Selection memory sel) {
        sel.chainId = chainId;
        sel.units = units;
        sel.seed = seed;
        sel.checkPast = checkPast;
        sel.members = members;
        sel.usedValidators = new uint256[](validatorSlots);
        sel.seatsOf = new uint256[](validatorSlots);
        // At most f = (n-1)/3 seats per validator (at least 1), so that no validator alone is a quorum.
        uint256 f = validatorSlots == 0 ? 0 : (validatorSlots - 1) / 3;
        sel.maxSeats = f == 0 ? 1 : f;
        sel.setAside = new uint256[](8);
        sel.parked = new uint256[](members.length + 1);
    }

    /// @dev Draws one node. Rejected candidates (members, repeated validators, past members) leave the
    /// index until {_endSelection}; when no candidate is left the rules relax one level (past members
    /// allowed, then repeated validators) and the set-aside candidates return.
    function _draw(Selection memory sel, uint256 stillNeeded) private returns (uint256 nodeId) {
        while (true) {
            uint256 available = _countAtLeast(sel.units);
            if (available == 0) {
                if (sel.level == 2 && sel.setAsideCount != 0) {
                    revert TooFewValidators(sel.chainId, sel.maxSeats, stillNeeded);
                }
                if (sel.level == 2 || sel.setAsideCount == 0) {
                    revert NotEnoughEligibleNodes(sel.chainId, sel.units, stillNeeded);
                }
                // Level 1 only readmits past members: pointless when the selection does not check them (creation).
                sel.level += (sel.level == 0 && !sel.checkPast) ? 2 : 1;
                _reindexSetAside(sel);
                continue;
            }
            uint256 pick = uint256(keccak256(abi.encode(sel.seed, sel.draws++))) % available;
            (uint256 freeUnits, uint256 offset) = _find(pick);
            nodeId = _buckets[freeUnits][offset];
            NodeState storage s = _state[nodeId];
            _unindex(s);
            if (_contains(sel.members, sel.members.length, nodeId) || !_hasFreeSlot(nodeId, s)) {
                if (sel.parkedCount == sel.parked.length) sel.parked = _grow(sel.parked);
                sel.parked[sel.parkedCount++] = nodeId;
            } else if (
                _seats(sel, s.validatorId) >= (sel.level < 2 ? 1 : sel.maxSeats)
                    || (sel.level < 1 && sel.checkPast && _wasMember[sel.chainId][nodeId])
            ) {
                if (sel.setAsideCount == sel.setAside.length) sel.setAside = _grow(sel.setAside);
                sel.setAside[sel.setAsideCount++] = nodeId;
            } else {
                _useValidator(sel, s.validatorId);
                return nodeId;
            }
        }
    }

    function _endSelection(Selection memory sel) private {
        _reindexSetAside(sel);
        for (uint256 k = 0; k < sel.parkedCount; ++k) {
            _index(sel.parked[k], _state[sel.parked[k]]);
        }
    }

    function _reindexSetAside(Selection memory sel) private {
        for (uint256 k = 0; k < sel.setAsideCount; ++k) {
            _index(sel.setAside[k], _state[sel.setAside[k]]);
        }
        sel.setAsideCount = 0;
    }

    function _useValidator(Selection memory sel, uint256 validatorId) private pure {
        for (uint256 k = 0; k < sel.usedCount; ++k) {
            if (sel.usedValidators[k] == validatorId) {
                sel.seatsOf[k] += 1;
                return;
            }
        }
        sel.usedValidators[sel.usedCount] = validatorId;
        sel.seatsOf[sel.usedCount++] = 1;
    }

    function _seats(Selection memory sel, uint256 validatorId) private pure returns (uint256) {
        for (uint256 k = 0; k < sel.usedCount; ++k) {
            if (sel.usedValidators[k] == validatorId) return sel.seatsOf[k];
        }
        return 0;
    }

    function _contains(uint256[] memory values, uint256 length, uint256 value) private pure returns (bool) {
        for (uint256 k = 0; k < length; ++k) {
            if (values[k] == value) return true;
        }
        return false;
    }

    function _grow(uint256[] memory values) private pure returns (uint256[] memory grown) {
        grown = new uint256[](values.length * 2);
        for (uint256 k = 0; k < values.length; ++k) {
            grown[k] = values[k];
        }
    }

    // ------------------------------------------------------------------ placement internals

    function _place(uint256 nodeId, uint256 chainId, uint8 units) private {
        NodeState storage s = _state[nodeId];
        s.freeUnits -= units;
        uint8 slot = _allocateSlot(nodeId, s);
        _setPlacementAt(nodeId, s.placementCount++, (chainId << 8) | slot);
        if (_eligible(s)) _index(nodeId, s);
    }

    function _release(uint256 nodeId, uint256 chainId, uint8 units, uint40 slotHeldUntil) private {
        (uint256 position, uint8 slot) = _findPlacement(nodeId, chainId);
        NodeState storage s = _state[nodeId];
        uint256 last = --s.placementCount;
        if (position != last) _setPlacementAt(nodeId, position, _placementAt(nodeId, last));
        _setPlacementAt(nodeId, last, 0);
        bool wasIndexed = s.inIndex;
        if (wasIndexed) _unindex(s);
        s.freeUnits += units;
        if (slotHeldUntil > block.timestamp) {
            _slotHolds[nodeId].push(SlotHold({slot: slot, until: slotHeldUntil}));
            s.holdCount += 1;
        } else {
            s.slotsInUse &= ~(uint128(1) << slot);
        }
        if (_eligible(s)) _index(nodeId, s);
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
        if (incompliant) _unindex(s);
        else if (_eligible(s)) _index(nodeId, s);
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

    function _index(uint256 nodeId, NodeState storage s) private {
        uint8 freeUnits = s.freeUnits;
        if (freeUnits == 0 || s.inIndex) return;
        uint32[] storage bucket = _buckets[freeUnits];
        s.bucketPos = uint32(bucket.length);
        s.inIndex = true;
        bucket.push(uint32(nodeId));
        _treeAdd(TREE_SIZE + 1 - freeUnits, true);
    }

    function _unindex(NodeState storage s) private {
        if (!s.inIndex) return;
        uint8 freeUnits = s.freeUnits;
        uint32[] storage bucket = _buckets[freeUnits];
        uint256 last = bucket.length - 1;
        uint32 position = s.bucketPos;
        if (position != last) {
            uint32 moved = bucket[last];
            bucket[position] = moved;
            _state[moved].bucketPos = position;
        }
        bucket.pop();
        s.inIndex = false;
        _treeAdd(TREE_SIZE + 1 - freeUnits, false);
    }

    function _treeAdd(uint256 i, bool increment) private {
        unchecked {
            for (; i <= TREE_SIZE; i += i & (0 - i)) {
                if (increment) _tree[i] += 1;
                else _tree[i] -= 1;
            }
        }
    }

    /// @dev Number of indexed nodes with at least `units` free units: prefix sum up to 129 - units.
    function _countAtLeast(uint8 units) private view returns (uint256 total) {
        unchecked {
            for (uint256 i = TREE_SIZE + 1 - units; i > 0; i -= i & (0 - i)) {
                total += _tree[i];
            }
        }
    }

    /// @dev The bucket holding the `rank`-th indexed node (0-based, most free units first) and its offset.
    function _find(uint256 rank) private view returns (uint256 freeUnits, uint256 offset) {
        uint256 position = 0;
        for (uint256 step = TREE_SIZE; step > 0; step >>= 1) {
            uint256 next = position + step;
            if (next <= TREE_SIZE) {
                uint256 count = _tree[next];
                if (count <= rank) {
                    position = next;
                    rank -= count;
                }
            }
        }
        return (TREE_SIZE - position, rank);
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}
}
