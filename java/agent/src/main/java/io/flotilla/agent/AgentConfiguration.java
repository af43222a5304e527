package io.flotilla.agent;

import io.flotilla.agent.config.AgentSettings;
import io.flotilla.agent.config.SettingsValidator;
import io.flotilla.agent.liveness.PeerProber;
import io.flotilla.agent.liveness.SubnodeRpc;
import io.flotilla.agent.reconcile.EventWatcher;
import io.flotilla.agent.state.AgentStateStore;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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

    /** Sends liveness reports (each waits for its receipt) off the probing and reconciling threads. */
    @Bean(destroyMethod = "shutdownNow")
    ExecutorService livenessReporter() {
        return Executors.newSingleThreadExecutor(Thread.ofPlatform().name("flotilla-reporter").daemon().factory());
    }

    @Bean(initMethod = "start", destroyMethod = "close")
    ReconcileLoop reconcileLoop(Reconciler reconciler, Web3j web3j, ManagerClient client, ContainerRuntime runtime, AgentStatus status,
            AgentSettings settings, MeterRegistry metrics, Clock clock, ExecutorService livenessReporter) {
        EventWatcher events = new EventWatcher(web3j, client.addressBook(), client, new AgentStateStore(settings.dataDir()),
                ManagerEvents.DEFAULT_MAX_RANGE);
        PeerProber prober = new PeerProber(client, new SubnodeRpc(), PeerProber.Policy.withGrace(settings.livenessThreshold()), clock,
                metrics, livenessReporter);
        return new ReconcileLoop(reconciler, events, runtime, prober, status, metrics, settings.pollInterval(), settings.resyncInterval());
    }
}
