// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SidechainManager} from "../SidechainManager.sol";
import {NodeRegistry} from "../NodeRegistry.sol";
import {ValidatorRegistry} from "../ValidatorRegistry.sol";
import {ImageRegistry} from "../ImageRegistry.sol";

// Second versions used only by the upgrade test: same storage, one new function.

contract SidechainManagerV2 is SidechainManager {
    function version() external pure returns (uint256) {
        return 2;
    }
}

contract NodeRegistryV2 is NodeRegistry {
    function version() external pure returns (uint256) {
        return 2;
    }
}

contract ValidatorRegistryV2 is ValidatorRegistry {
    function version() external pure returns (uint256) {
        return 2;
    }
}

contract ImageRegistryV2 is ImageRegistry {
    function version() external pure returns (uint256) {
        return 2;
    }
}
