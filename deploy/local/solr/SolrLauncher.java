// Runs a real Solr 9 server (JettySolrRunner, bound to 127.0.0.1) over a Solr home, for CKAN in development
// and tests. Launched as a single source file: java -cp 'lib/*' SolrLauncher.java HOME PORT
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

public class SolrLauncher {
  public static void main(String[] args) throws Exception {
    Path home = Paths.get(args[0]).toAbsolutePath();
    int port = Integer.parseInt(args[1]);
    Files.createDirectories(home.resolve("logs"));
    System.setProperty("solr.solr.home", home.toString());
    System.setProperty("solr.install.dir", home.toString());
    System.setProperty("solr.log.dir", home.resolve("logs").toString());
    System.setProperty("solr.lock.type", "single");
    JettyConfig config = JettyConfig.builder().setPort(port).stopAtShutdown(true).build();
    JettySolrRunner solr = new JettySolrRunner(home.toString(), config);
    solr.start();
    System.out.println("SOLR_READY " + solr.getBaseUrl());
    Thread.currentThread().join();
  }
}
