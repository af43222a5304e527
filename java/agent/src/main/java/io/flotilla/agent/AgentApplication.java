package io.flotilla.agent;

import io.flotilla.agent.config.AgentSettings;
import io.flotilla.agent.config.SettingsException;
import io.flotilla.manager.ManagerException;
import java.util.Arrays;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * The agent's entry point. {@code run} (the default) starts the agent service; {@code node ...} (operator),
 * {@code chain ...} (developer) and {@code devnet ...} (local network) run one command and exit. A failure is
 * printed as one line naming the problem, with a non-zero exit code.
 */
@SpringBootApplication
@EnableConfigurationProperties(AgentSettings.class)
public class AgentApplication {

    /** The one-shot commands; each is an ApplicationRunner that acts only on its own first word. */
    private static final java.util.Set<String> COMMANDS = java.util.Set.of("node", "chain", "devnet");

    public static void main(String[] args) {
        boolean service = args.length == 0 || args[0].equals("run");
        if (!service && !COMMANDS.contains(args[0])) {
            System.err.println("flotilla: unknown command '" + args[0] + "' (run, node, chain, devnet)");
            System.exit(2);
        }
        SpringApplication app = new SpringApplication(AgentApplication.class);
        app.setWebApplicationType(service ? WebApplicationType.SERVLET : WebApplicationType.NONE);
        app.setLogStartupInfo(service);
        try {
            var context = app.run(service && args.length > 0 ? Arrays.copyOfRange(args, 1, args.length) : args);
            if (!service) {
                System.exit(SpringApplication.exit(context));
            }
        } catch (RuntimeException e) {
            System.err.println("flotilla: " + describe(e));
            System.exit(2);
        }
    }

    /** The most specific message in the cause chain: a setting, a contract refusal or the root cause. */
    static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SettingsException || t instanceof ManagerException || t instanceof IllegalArgumentException) {
                return t.getMessage();
            }
        }
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }
}
