package io.flotilla.agent.status;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Actuator health: UP when the last pass read the contracts and Docker and applied its plan, no subnode is
 * crash-looping or refused and every task of the agent runs; DOWN (HTTP 503) otherwise, with the reasons in
 * {@code problems}. Stray containers and deferred restarts show in {@code notices} and do not make it DOWN.
 */
@Component
@ConditionalOnWebApplication
class AgentHealthIndicator implements HealthIndicator {

    private final AgentStatus status;

    AgentHealthIndicator(AgentStatus status) {
        this.status = status;
    }

    @Override
    public Health health() {
        AgentStatus.Snapshot s = status.snapshot();
        java.util.List<String> problems = new java.util.ArrayList<>(s.problems());
        status.taskProblems().forEach((task, problem) -> problems.add(task + ": " + problem));
        // Spring Boot maps only its own statuses to HTTP codes (an unknown "DEGRADED" would be served as 200).
        Health.Builder builder = !problems.isEmpty() ? Health.down() : switch (s.health()) {
            case OK -> Health.up();
            case STARTING -> Health.unknown();
            case DEGRADED -> Health.down();
        };
        return builder.withDetail("problems", problems).withDetail("notices", s.notices()).withDetail("passes", s.passes())
                .withDetail("lastReconcileAt", String.valueOf(s.lastReconcileAt())).build();
    }
}
