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
 * The agent's entry point. {@code run} (the default) starts the agent service; {@code node ...} runs one operator
 * command and exits. A failure is printed as one line naming the problem, with a non-zero exit code.
 */
@SpringBootApplication
@EnableConfigurationProperties(AgentSettings.class)
public class AgentApplication {

    public static void main(String[] args) {
        boolean service = args.length == 0 || args[0].equals("run");
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
