// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Node registry as seen by the sidechain manager: node records and placement of chains on nodes.
interface INodeRegistry {
    enum NodeStatus {
        None,
        Active,
        InMaintenance,
        Leaving,
        Left
    }

    /// @notice Resources a node offers; subnodes get `capacity x units / 128` of each.
    struct Capacity {
        uint32 cpuMillicores;
        uint32 memoryMiB;
        uint32 diskGiB;
    }

    /// @notice Everything an agent or a peer needs to know about one node.
    struct NodeView {
        uint256 id;
        string name;
        bytes4 ip;
        uint16 basePort;
        address nodeAddress;
        uint256 validatorId;
        bytes publicKey;
        string domain;
        Capacity capacity;
        NodeStatus status;
        bool incompliant;
        uint8 freeUnits;
        uint40 createdAt;
    }

    /// @notice One chain placed on a node, with the node's slot for it (ports basePort + slot x 16 + offset).
    struct Placement {
        uint256 chainId;
        uint8 slot;
    }

    /// @notice A member as its peers and users reach it: ports are basePort + slot x 16 + offset.
    struct MemberView {
        uint256 nodeId;
        address nodeAddress;
        bytes4 ip;
        uint16 basePort;
        uint8 slot;
        uint16 firstPort;
        bytes publicKey;
        string domain;
    }

    /// @notice A resize of a chain's placement: from `units` to `newUnits` units per node, `added` new members
    /// drawn with `seed`, slots of leaving members held until `slotHeldUntil`.
    struct ResizeParams {
        uint256 chainId;
        uint8 units;
        uint8 newUnits;
        uint256 added;
        bytes32 seed;
        uint40 slotHeldUntil;
    }

    function memberViews(uint256 chainId, uint256[] calldata nodeIds, bool withSlots)
        external
        view
        returns (MemberView[] memory members);

    function placeChain(uint256 chainId, uint8 units, uint256 count, bytes32 seed)
        external
        returns (uint256[] memory nodeIds);

    function replaceMember(
        uint256 chainId,
        uint8 units,
        uint256 leavingNode,
        uint256[] calldata members,
        bytes32 seed,
        uint40 slotHeldUntil
    ) external returns (uint256 joiningNode);

    function resizeChain(ResizeParams calldata p, uint256[] calldata kept, uint256[] calldata removed)
        external
        returns (uint256[] memory members);

    function removeChain(uint256 chainId, uint8 units, uint256[] calldata members) external;

    function markIncompliant(uint256 nodeId) external;

    function completeExit(uint256 nodeId) external;

    function completeExitIfDone(uint256 nodeId) external;

    function countByValidator(uint256[] calldata nodeIds, uint64 mask, uint256 cap) external view returns (uint256);

    function nodeIdOf(address nodeAddress) external view returns (uint256);

    function validatorOf(uint256 nodeId) external view returns (uint256);

    function eligibleNodeCount(uint8 units) external view returns (uint256);

    function getNode(uint256 nodeId) external view returns (NodeView memory);

    function statusOf(uint256 nodeId) external view returns (NodeStatus);

    function placementsOf(uint256 nodeId) external view returns (Placement[] memory);

    function slotOf(uint256 nodeId, uint256 chainId) external view returns (uint8);
}
