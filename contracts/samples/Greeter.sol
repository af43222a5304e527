// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Greeter
/// @notice The sample contract `./flotilla devnet up` deploys to the demo sidechain (with deploy/sample.js): a
/// greeting anyone can read and change, and an event per change, so calls, transactions and logs can be tried.
contract Greeter {
    /// @notice The current greeting.
    string public greeting;

    /// @notice Emitted when `by` sets the greeting to `greeting`.
    event GreetingChanged(address indexed by, string greeting);

    constructor(string memory initial) {
        greeting = initial;
        emit GreetingChanged(msg.sender, initial);
    }

    /// @notice Replaces the greeting.
    function setGreeting(string calldata next) external {
        greeting = next;
        emit GreetingChanged(msg.sender, next);
    }
}
