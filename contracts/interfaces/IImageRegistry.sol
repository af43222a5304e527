// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Image registry as seen by the sidechain manager.
interface IImageRegistry {
    struct ImageVersion {
        bytes32 digest;
        uint64 sequence;
        uint40 publishedAt;
        bool revoked;
        string component;
    }

    /// @notice The published, not revoked version `version` of `component`; reverts otherwise.
    function requireUsable(string calldata version, string calldata component)
        external
        view
        returns (ImageVersion memory);

    function getVersion(string calldata version) external view returns (ImageVersion memory);
}
