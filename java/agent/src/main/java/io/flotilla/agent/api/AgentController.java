package io.flotilla.agent.api;

import io.flotilla.agent.status.AgentStatus;
import io.flotilla.agent.status.AgentStatus.Snapshot;
import io.flotilla.agent.status.AgentStatus.SubnodeView;
import java.util.List;
import java.util.Map;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The agent's status API (see docs/agent.md). */
@RestController
@RequestMapping("/api/v1")
@ConditionalOnWebApplication
class AgentController {

    private final AgentStatus status;

    AgentController(AgentStatus status) {
        this.status = status;
    }

    @GetMapping("/node")
    Map<String, Object> node() {
        Snapshot s = status.snapshot();
        return Map.of(
                "health", s.health(),
                "problems", s.problems(),
                "nodeId", s.nodeId() == null ? "unknown" : s.nodeId(),
                "nodeAddress", s.nodeAddress() == null ? "unknown" : s.nodeAddress(),
                "lastReconcileAt", s.lastReconcileAt() == null ? "never" : s.lastReconcileAt().toString(),
                "lastReconcileMillis", s.lastReconcileMillis(),
                "passes", s.passes(),
                "subnodes", s.subnodes().size());
    }

    @GetMapping("/subnodes")
    List<SubnodeView> subnodes() {
        return status.snapshot().subnodes();
    }

    @GetMapping("/chains/{id}")
    ResponseEntity<?> chain(@PathVariable("id") long id) {
        return status.snapshot().subnodes().stream()
                .filter(s -> s.chainId() == id)
                .findFirst()
                .<ResponseEntity<?>>map(ResponseEntity::ok)
                .orElseGet(() -> ResponseEntity.status(HttpStatus.NOT_FOUND)
                        .body(Map.of("error", "chain " + id + " has no subnode on this node")));
    }
}
