// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {IImageRegistry} from "./interfaces/IImageRegistry.sol";

/// @title ImageRegistry
/// @notice Transparency log of the container images subnodes may run. A version name maps to the
/// sha256 digest of an image and the component it is for (e.g. "subnode"). Agents read the digest
/// of a chain's version and refuse to run anything else. Published entries never change; a version
/// can only be revoked (no new chain may choose it), never rewritten.
contract ImageRegistry is Initializable, AccessControlUpgradeable, UUPSUpgradeable, IImageRegistry {
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    bytes32 public constant PUBLISHER_ROLE = keccak256("PUBLISHER_ROLE");

    mapping(bytes32 versionKey => ImageVersion) private _versions;
    mapping(bytes32 versionKey => string) private _names;
    mapping(bytes32 componentKey => string) private _latest;
    uint64 private _publishedCount;

    /// @notice Emitted when `version` of `component` is published with image `digest`.
    event ImageVersionPublished(string version, string component, bytes32 digest, uint64 sequence);
    /// @notice Emitted when `version` is revoked.
    event ImageVersionRevoked(string version);

    error EmptyVersionName();
    error EmptyComponent();
    error EmptyDigest(string version);
    error VersionAlreadyPublished(string version, bytes32 digest);
    error UnknownImageVersion(string version);
    error RevokedImageVersion(string version);
    error WrongImageComponent(string version, string expected, string actual);

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initializes the proxy: `admin` gets the admin, upgrader and publisher roles.
    function initialize(address admin) external initializer {
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(UPGRADER_ROLE, admin);
        _grantRole(PUBLISHER_ROLE, admin);
    }

    /// @notice Publishes `version` of `component` pinned to the image `digest` (sha256 of the image config).
    ///
    /// Emits an {ImageVersionPublished} event.
    ///
    /// Requirements:
    /// - the caller has PUBLISHER_ROLE;
    /// - `version` and `component` are not empty, `digest` is not zero;
    /// - `version` was never published before (versions are immutable).
    function publish(string calldata version, bytes32 digest, string calldata component)
        external
        onlyRole(PUBLISHER_ROLE)
    {
        if (bytes(version).length == 0) revert EmptyVersionName();
        if (bytes(component).length == 0) revert EmptyComponent();
        if (digest == bytes32(0)) revert EmptyDigest(version);
        bytes32 key = keccak256(bytes(version));
        ImageVersion storage existing = _versions[key];
        if (existing.digest != bytes32(0)) revert VersionAlreadyPublished(version, existing.digest);
        uint64 sequence = ++_publishedCount;
        _versions[key] = ImageVersion({
            digest: digest,
            sequence: sequence,
            publishedAt: uint40(block.timestamp),
            revoked: false,
            component: component
        });
        _names[key] = version;
        _latest[keccak256(bytes(component))] = version;
        emit ImageVersionPublished(version, component, digest, sequence);
    }

    /// @notice Revokes `version`: chains can no longer be created with it or moved to it.
    /// Chains already running it keep it until their owner moves them to a newer version.
    ///
    /// Emits an {ImageVersionRevoked} event.
    ///
    /// Requirements:
    /// - the caller has PUBLISHER_ROLE;
    /// - `version` is published and not already revoked.
    function revoke(string calldata version) external onlyRole(PUBLISHER_ROLE) {
        ImageVersion storage entry = _versions[keccak256(bytes(version))];
        if (entry.digest == bytes32(0)) revert UnknownImageVersion(version);
        if (entry.revoked) revert RevokedImageVersion(version);
        entry.revoked = true;
        emit ImageVersionRevoked(version);
    }

    /// @inheritdoc IImageRegistry
    function requireUsable(string calldata version, string calldata component)
        external
        view
        returns (ImageVersion memory entry)
    {
        entry = getVersion(version);
        if (entry.revoked) revert RevokedImageVersion(version);
        if (keccak256(bytes(entry.component)) != keccak256(bytes(component))) {
            revert WrongImageComponent(version, component, entry.component);
        }
    }

    /// @inheritdoc IImageRegistry
    function getVersion(string calldata version) public view returns (ImageVersion memory entry) {
        entry = _versions[keccak256(bytes(version))];
        if (entry.digest == bytes32(0)) revert UnknownImageVersion(version);
    }

    /// @notice The most recently published version of `component` (empty when there is none).
    function latestVersion(string calldata component) external view returns (string memory) {
        return _latest[keccak256(bytes(component))];
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}
}
