// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// A small contract for the client compatibility checks (deploy/clients): state, an event, value, reverts.
contract ClientCheck {
    event Greeted(address indexed from, uint256 indexed count, string message);

    error TooBig(uint256 value, uint256 limit);

    string public message;
    uint256 public count;

    constructor(string memory initial) {
        message = initial;
    }

    function greet(string calldata text) external payable {
        message = text;
        count += 1;
        emit Greeted(msg.sender, count, text);
    }

    function limited(uint256 value) external {
        if (value > 10) revert TooBig(value, 10);
        count = value;
    }

    function failing() external pure returns (uint256) {
        revert("always fails");
    }
}
