package io.flotilla.agent.status;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/** Actuator health: UP when the last pass read the contracts and Docker and applied its plan. */
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
        Health.Builder builder = switch (s.health()) {
            case OK -> Health.up();
            case STARTING -> Health.unknown();
            case DEGRADED -> Health.status("DEGRADED");
        };
        return builder.withDetail("problems", s.problems()).withDetail("passes", s.passes()).build();
    }
}
