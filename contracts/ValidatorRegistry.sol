// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IValidatorRegistry} from "./interfaces/IValidatorRegistry.sol";

/// @title ValidatorRegistry
/// @notice Validators: registration, native-ETH stake with an unbonding delay, and the node
/// addresses each validator may run nodes from. Every node needs `minimumStakePerNode` of its
/// validator's stake (MSR); that stake cannot be withdrawn while the node exists.
contract ValidatorRegistry is
    Initializable,
    AccessControlUpgradeable,
    UUPSUpgradeable,
    ReentrancyGuardTransient,
    IValidatorRegistry
{
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    bytes32 public constant NODE_REGISTRY_ROLE = keccak256("NODE_REGISTRY_ROLE");
    uint16 public constant MAX_COMMISSION_BPS = 10_000;
    /// @notice Longest unbonding delay {setUnbondingDelay} accepts.
    uint256 public constant MAX_UNBONDING_DELAY = 365 days;

    struct Validator {
        address owner;
        uint16 commissionBps;
        uint32 activeNodes;
        uint40 registeredAt;
        uint40 withdrawableAt;
        uint256 stake;
        uint256 pendingWithdrawal;
        string name;
    }

    mapping(uint256 validatorId => Validator) private _validators;
    mapping(address owner => uint256) private _validatorIdOfOwner;
    mapping(address nodeAddress => uint256) private _validatorOfNodeAddress;
    mapping(address nodeAddress => bool) private _nodeAddressInUse;
    uint256 private _validatorCount;
    uint256 public minimumStakePerNode;
    uint256 public unbondingDelay;
    uint256 public totalDeposited;
    uint256 public totalWithdrawn;

    event ValidatorRegistered(uint256 indexed validatorId, address indexed owner, string name, uint16 commissionBps);
    event StakeDeposited(uint256 indexed validatorId, uint256 amount, uint256 stake);
    event WithdrawalRequested(uint256 indexed validatorId, uint256 amount, uint256 pending, uint40 withdrawableAt);
    event StakeWithdrawn(uint256 indexed validatorId, address indexed to, uint256 amount);
    event NodeAddressLinked(uint256 indexed validatorId, address indexed nodeAddress);
    event NodeAddressUnlinked(uint256 indexed validatorId, address indexed nodeAddress);
    event MinimumStakePerNodeChanged(uint256 amount);
    event UnbondingDelayChanged(uint256 delay);

    error ValidatorAlreadyRegistered(address owner, uint256 validatorId);
    error EmptyValidatorName();
    error CommissionTooHigh(uint256 commissionBps, uint256 maximum);
    error NotAValidator(address account);
    error ZeroAmount();
    error InsufficientFreeStake(uint256 requested, uint256 available);
    error NothingToWithdraw(uint256 validatorId);
    error UnbondingNotOver(uint256 validatorId, uint256 withdrawableAt);
    error TransferFailed(address to, uint256 amount);
    error InvalidNodeSignature(address nodeAddress, address signer);
    error NodeAddressAlreadyLinked(address nodeAddress, uint256 validatorId);
    error NodeAddressNotLinked(address nodeAddress);
    error NodeAddressInUse(address nodeAddress);
    error ParameterOutOfRange(string name, uint256 value, uint256 minimum, uint256 maximum);
    error StakeBelowMinimum(uint256 validatorId, uint256 stake, uint256 required);

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initializes the proxy with the MSR and the unbonding delay; `admin` gets the admin and upgrader roles.
    function initialize(address admin, uint256 minimumStakePerNode_, uint256 unbondingDelay_) external initializer {
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(UPGRADER_ROLE, admin);
        minimumStakePerNode = minimumStakePerNode_;
        unbondingDelay = unbondingDelay_;
    }

    /// @notice Registers the caller as a validator; the value sent, if any, becomes its first stake.
    ///
    /// Emits a {ValidatorRegistered} event, and a {StakeDeposited} event when value is sent.
    ///
    /// Requirements:
    /// - the caller is not a validator yet;
    /// - `name` is not empty and `commissionBps` is at most 10,000 (100%).
    function registerValidator(string calldata name, uint16 commissionBps)
        external
        payable
        returns (uint256 validatorId)
    {
        uint256 existing = _validatorIdOfOwner[msg.sender];
        if (existing != 0) revert ValidatorAlreadyRegistered(msg.sender, existing);
        if (bytes(name).length == 0) revert EmptyValidatorName();
        if (commissionBps > MAX_COMMISSION_BPS) revert CommissionTooHigh(commissionBps, MAX_COMMISSION_BPS);
        validatorId = ++_validatorCount;
        Validator storage v = _validators[validatorId];
        v.owner = msg.sender;
        v.commissionBps = commissionBps;
        v.registeredAt = uint40(block.timestamp);
        v.name = name;
        _validatorIdOfOwner[msg.sender] = validatorId;
        emit ValidatorRegistered(validatorId, msg.sender, name, commissionBps);
        if (msg.value > 0) _deposit(validatorId, v);
    }

    /// @notice Adds the value sent to the caller's stake.
    ///
    /// Emits a {StakeDeposited} event.
    ///
    /// Requirements:
    /// - the caller is a validator and sends a non-zero value.
    function deposit() external payable {
        uint256 validatorId = _requireValidator(msg.sender);
        if (msg.value == 0) revert ZeroAmount();
        _deposit(validatorId, _validators[validatorId]);
    }

    /// @notice Starts unbonding `amount` of the caller's stake; it can be withdrawn after `unbondingDelay`.
    /// A new request adds to the pending amount and restarts the delay.
    ///
    /// Emits a {WithdrawalRequested} event.
    ///
    /// Requirements:
    /// - the caller is a validator, `amount` is not zero;
    /// - the stake left covers the MSR of every node of the validator.
    function requestWithdrawal(uint256 amount) external {
        uint256 validatorId = _requireValidator(msg.sender);
        if (amount == 0) revert ZeroAmount();
        Validator storage v = _validators[validatorId];
        uint256 available = freeStake(validatorId);
        if (amount > available) revert InsufficientFreeStake(amount, available);
        v.stake -= amount;
        v.pendingWithdrawal += amount;
        v.withdrawableAt = uint40(block.timestamp + unbondingDelay);
        emit WithdrawalRequested(validatorId, amount, v.pendingWithdrawal, v.withdrawableAt);
    }

    /// @notice Pays the caller's unbonded stake to the caller.
    ///
    /// Emits a {StakeWithdrawn} event.
    ///
    /// Requirements:
    /// - the caller is a validator with a pending withdrawal whose unbonding delay is over.
    function withdraw() external nonReentrant {
        uint256 validatorId = _requireValidator(msg.sender);
        Validator storage v = _validators[validatorId];
        uint256 amount = v.pendingWithdrawal;
        if (amount == 0) revert NothingToWithdraw(validatorId);
        if (block.timestamp < v.withdrawableAt) revert UnbondingNotOver(validatorId, v.withdrawableAt);
        v.pendingWithdrawal = 0;
        totalWithdrawn += amount;
        emit StakeWithdrawn(validatorId, msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed(msg.sender, amount);
    }

    /// @notice Links `nodeAddress` to the caller's validator so that a node can be created from it.
    /// `signature` is the node key's EIP-191 signature of {linkMessage}(validatorId), which proves the
    /// validator holds the node key.
    ///
    /// Emits a {NodeAddressLinked} event.
    ///
    /// Requirements:
    /// - the caller is a validator;
    /// - `signature` was made by `nodeAddress` over this validator's link message;
    /// - `nodeAddress` is not linked to any validator.
    function linkNodeAddress(address nodeAddress, bytes calldata signature) external {
        uint256 validatorId = _requireValidator(msg.sender);
        address signer = ECDSA.recover(MessageHashUtils.toEthSignedMessageHash(linkMessage(validatorId)), signature);
        if (signer != nodeAddress) revert InvalidNodeSignature(nodeAddress, signer);
        uint256 linkedTo = _validatorOfNodeAddress[nodeAddress];
        if (linkedTo != 0) revert NodeAddressAlreadyLinked(nodeAddress, linkedTo);
        _validatorOfNodeAddress[nodeAddress] = validatorId;
        emit NodeAddressLinked(validatorId, nodeAddress);
    }

    /// @notice Unlinks `nodeAddress` from the caller's validator.
    ///
    /// Emits a {NodeAddressUnlinked} event.
    ///
    /// Requirements:
    /// - `nodeAddress` is linked to the caller's validator;
    /// - no node that has not left runs from `nodeAddress`.
    function unlinkNodeAddress(address nodeAddress) external {
        uint256 validatorId = _requireValidator(msg.sender);
        if (_validatorOfNodeAddress[nodeAddress] != validatorId) revert NodeAddressNotLinked(nodeAddress);
        if (_nodeAddressInUse[nodeAddress]) revert NodeAddressInUse(nodeAddress);
        delete _validatorOfNodeAddress[nodeAddress];
        emit NodeAddressUnlinked(validatorId, nodeAddress);
    }

    /// @inheritdoc IValidatorRegistry
    /// @dev Requirements: the caller has NODE_REGISTRY_ROLE; `nodeAddress` is linked, not in use, and the
    /// validator's stake covers the MSR of all its nodes including the new one.
    function onNodeCreated(address nodeAddress)
        external
        onlyRole(NODE_REGISTRY_ROLE)
        returns (uint256 validatorId)
    {
        validatorId = _validatorOfNodeAddress[nodeAddress];
        if (validatorId == 0) revert NodeAddressNotLinked(nodeAddress);
        if (_nodeAddressInUse[nodeAddress]) revert NodeAddressInUse(nodeAddress);
        Validator storage v = _validators[validatorId];
        uint256 required = minimumStakePerNode * (uint256(v.activeNodes) + 1);
        if (v.stake < required) revert StakeBelowMinimum(validatorId, v.stake, required);
        v.activeNodes += 1;
        _nodeAddressInUse[nodeAddress] = true;
    }

    /// @inheritdoc IValidatorRegistry
    /// @dev Requirements: the caller has NODE_REGISTRY_ROLE; `nodeAddress` is in use.
    function onNodeLeft(address nodeAddress) external onlyRole(NODE_REGISTRY_ROLE) {
        if (!_nodeAddressInUse[nodeAddress]) revert NodeAddressNotLinked(nodeAddress);
        _nodeAddressInUse[nodeAddress] = false;
        _validators[_validatorOfNodeAddress[nodeAddress]].activeNodes -= 1;
    }

    /// @notice Sets the minimum stake per node (MSR). Existing nodes are not affected; it applies to new nodes
    /// and to withdrawals.
    ///
    /// Emits a {MinimumStakePerNodeChanged} event. Requirements: the caller has DEFAULT_ADMIN_ROLE; `amount` > 0.
    function setMinimumStakePerNode(uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (amount == 0) revert ParameterOutOfRange("minimumStakePerNode", amount, 1, type(uint256).max);
        minimumStakePerNode = amount;
        emit MinimumStakePerNodeChanged(amount);
    }

    /// @notice Sets the unbonding delay in seconds for future withdrawal requests.
    ///
    /// Emits an {UnbondingDelayChanged} event. Requirements: the caller has DEFAULT_ADMIN_ROLE;
    /// 0 < `delay` <= MAX_UNBONDING_DELAY (365 days).
    function setUnbondingDelay(uint256 delay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (delay == 0 || delay > MAX_UNBONDING_DELAY) revert ParameterOutOfRange("unbondingDelay", delay, 1, MAX_UNBONDING_DELAY);
        unbondingDelay = delay;
        emit UnbondingDelayChanged(delay);
    }

    /// @notice The message a node key signs (EIP-191) to be linked to `validatorId`. It binds the Ethereum
    /// chain and this registry so a signature cannot be replayed elsewhere.
    function linkMessage(uint256 validatorId) public view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), validatorId));
    }

    /// @notice Stake of `validatorId` that is not reserved by the MSR of its nodes.
    function freeStake(uint256 validatorId) public view returns (uint256) {
        Validator storage v = _validators[validatorId];
        uint256 reserved = minimumStakePerNode * v.activeNodes;
        return v.stake > reserved ? v.stake - reserved : 0;
    }

    /// @notice The validator record of `validatorId` (owner is zero when it does not exist).
    function getValidator(uint256 validatorId) external view returns (Validator memory) {
        return _validators[validatorId];
    }

    /// @inheritdoc IValidatorRegistry
    function validatorOwner(uint256 validatorId) external view returns (address) {
        return _validators[validatorId].owner;
    }

    /// @notice The validator id of `owner`, zero when `owner` is not a validator.
    function validatorIdOf(address owner) external view returns (uint256) {
        return _validatorIdOfOwner[owner];
    }

    /// @notice The validator `nodeAddress` is linked to, zero when none.
    function validatorOfNodeAddress(address nodeAddress) external view returns (uint256) {
        return _validatorOfNodeAddress[nodeAddress];
    }

    /// @notice Number of registered validators.
    function validatorCount() external view returns (uint256) {
        return _validatorCount;
    }

    function _deposit(uint256 validatorId, Validator storage v) private {
        v.stake += msg.value;
        totalDeposited += msg.value;
        emit StakeDeposited(validatorId, msg.value, v.stake);
    }

    function _requireValidator(address account) private view returns (uint256 validatorId) {
        validatorId = _validatorIdOfOwner[account];
        if (validatorId == 0) revert NotAValidator(account);
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}
}
