package io.flotilla.agent;

import io.flotilla.agent.config.AgentSettings;
import io.flotilla.agent.config.SettingsValidator;
import io.flotilla.agent.liveness.PeerProber;
import io.flotilla.agent.node.NodeKey;
import io.flotilla.agent.reconcile.ReconcileLoop;
import io.flotilla.agent.reconcile.ReconcilerFactory;
import io.flotilla.agent.reconcile.Reconciler;
import io.flotilla.agent.runtime.ContainerRuntime;
import io.flotilla.agent.runtime.DockerContainerRuntime;
import io.flotilla.agent.status.AgentStatus;
import io.flotilla.manager.AddressBook;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.ManagerEvents;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/** The agent service's parts, wired by constructor injection. Only in service mode (not for operator commands). */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication
class AgentConfiguration {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean(destroyMethod = "shutdown")
    Web3j web3j(AgentSettings settings) {
        SettingsValidator.validateAgent(settings);
        return Web3j.build(new HttpService(settings.managerRpcUrl()));
    }

    @Bean
    Credentials nodeCredentials(AgentSettings settings) {
        return NodeKey.load(settings.keystore(), settings.passwordFile());
    }

    @Bean
    ManagerClient managerClient(Web3j web3j, Credentials credentials, AgentSettings settings) {
        return new ManagerClient(web3j, credentials, AddressBook.read(settings.addressBook()));
    }

    @Bean
    ContainerRuntime containerRuntime(AgentSettings settings) {
        return new DockerContainerRuntime(settings.dockerHost());
    }

    @Bean
    AgentStatus agentStatus() {
        return new AgentStatus();
    }

    @Bean
    Reconciler reconciler(AgentSettings settings, ManagerClient client, ContainerRuntime runtime, AgentStatus status,
            MeterRegistry metrics, Clock clock) {
        return ReconcilerFactory.create(settings, client, runtime, status, metrics, clock);
    }

    @Bean(initMethod = "start", destroyMethod = "close")
    ReconcileLoop reconcileLoop(Reconciler reconciler, Web3j web3j, ManagerClient client, AgentStatus status, AgentSettings settings,
            Clock clock) {
        ManagerEvents events = new ManagerEvents(web3j, client.addressBook(), Math.max(0, safeBlockNumber(client) - 1));
        PeerProber prober = new PeerProber(client, settings.livenessThreshold(), clock);
        return new ReconcileLoop(reconciler, events, prober, status, settings.pollInterval(), settings.resyncInterval());
    }

    private static long safeBlockNumber(ManagerClient client) {
        try {
            return client.blockNumber();
        } catch (RuntimeException e) {
            return 0; // the loop reports the outage and retries
        }
    }
}
