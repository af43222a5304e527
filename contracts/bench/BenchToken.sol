// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title BenchToken
/// @notice A plain OpenZeppelin ERC-20 used only by `./flotilla bench evm`: the same bytecode and the same
/// transfer calldata run through Flotilla's Java EVM and through Hardhat's EDR. Not part of the protocol.
contract BenchToken is ERC20 {
    /// @param supply the whole supply, minted to the deployer
    constructor(uint256 supply) ERC20("Flotilla Bench Token", "FBT") {
        _mint(msg.sender, supply);
    }
}
