import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * helm template without a helm binary: Helm's own library through helm-java (the chart tests' test dependency),
 * run by the image test as a single-file program on the test classpath.
 *
 *   java -cp CLASSPATH scripts/image/HelmTemplate.java CHART RELEASE NAMESPACE KUBE_VERSION OUT [VALUES...]
 */
public class HelmTemplate {
    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: HelmTemplate CHART RELEASE NAMESPACE KUBE_VERSION OUT [VALUES...]");
            System.exit(2);
        }
        TemplateCommand command = new Helm(Path.of(args[0])).template().withName(args[1]).withNamespace(args[2])
            .withKubeVersion(args[3]);
        for (int i = 5; i < args.length; i++) {
            command = command.withValuesFile(Path.of(args[i]));
        }
        Files.writeString(Path.of(args[4]), command.call());
    }
}
