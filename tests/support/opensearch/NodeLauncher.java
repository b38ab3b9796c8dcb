// A single OpenSearch node for Nutmeg's engine tests, started from the Maven Central jars (see pom.xml)
// rather than a distribution: the server jar plus the netty4 (HTTP), analysis-common (english analyzer,
// lowercase normalizer) and geo (geo_shape) modules, loaded as classpath plugins. Run as a single-file
// source program:
//
//     java -cp <classpath> NodeLauncher.java <home dir> <http port>
//
// It binds to 127.0.0.1 only, prints "NUTMEG-NODE-READY <port>" once the HTTP layer answers, and stops
// cleanly when its standard input closes (so a test run that dies never leaves a node behind).

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.geo.GeoModulePlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

public class NodeLauncher {

    static final class ClasspathNode extends Node {
        ClasspathNode(Settings settings, List<Class<? extends Plugin>> plugins) {
            super(InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "nutmeg-test"), plugins, true);
        }
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]).toAbsolutePath();
        String port = args[1];
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));
        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", "nutmeg-test")
            .put("node.name", "nutmeg-test-node")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", port)
            .put("transport.port", "0")
            .put("http.type", "netty4")
            .put("transport.type", "netty4")
            // a test node on a shared machine: small caches, no disk-watermark surprises
            .put("cluster.routing.allocation.disk.threshold_enabled", "false")
            .put("indices.breaker.total.use_real_memory", "false")
            .put("action.auto_create_index", "false")
            .put("logger.level", "WARN")
            .build();
        LogConfigurator.registerErrorListener();
        LogConfigurator.configureWithoutConfig(settings);
        Node node = new ClasspathNode(settings, List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, GeoModulePlugin.class));
        node.start();
        System.out.println("NUTMEG-NODE-READY " + port);
        System.out.flush();
        // Block until the parent closes our stdin (or dies), then shut down.
        while (System.in.read() != -1) {
            // ignore input
        }
        node.close();
        System.exit(0);
    }
}
