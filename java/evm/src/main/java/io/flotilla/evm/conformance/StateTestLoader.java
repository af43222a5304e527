package io.flotilla.evm.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Finds GeneralStateTests JSON files and expands their Cancun post entries into cases. */
public final class StateTestLoader {
    public static final String FORK = "Cancun";
    private final ObjectMapper mapper = new ObjectMapper();

    /** All JSON files under root, sorted so runs are reproducible. */
    public List<Path> files(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.toString().endsWith(".json") && Files.isRegularFile(p)).sorted().toList();
        }
    }

    /** The folder a file is reported under: its parent directory relative to root. */
    public static String folderOf(Path root, Path file) {
        Path parent = root.relativize(file).getParent();
        return parent == null ? root.getFileName().toString() : parent.toString();
    }

    public List<StateTestCase> load(Path root, Path file) throws IOException {
        JsonNode doc = mapper.readTree(file.toFile());
        String folder = folderOf(root, file);
        List<StateTestCase> out = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> tests = doc.fields();
        while (tests.hasNext()) {
            Map.Entry<String, JsonNode> t = tests.next();
            JsonNode post = t.getValue().path("post").path(FORK);
            if (!post.isArray()) continue;
            for (JsonNode entry : post) {
                JsonNode idx = entry.path("indexes");
                int d = idx.path("data").asInt(), g = idx.path("gas").asInt(), v = idx.path("value").asInt();
                String id = file.getFileName() + "/" + t.getKey() + "[d" + d + ",g" + g + ",v" + v + "]";
                out.add(new StateTestCase(id, folder, t.getKey(), t.getValue(), entry, d, g, v));
            }
        }
        return out;
    }
}
