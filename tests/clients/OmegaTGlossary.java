// Reads a glossary file with OmegaT's own glossary readers, headless, and prints its entries.
// Usage: java -Duser.home=TMP -cp OmegaT.jar:. OmegaTGlossary FILE SOURCE TARGET PROJECT_DIR
// Output: one line per entry, source TAB target TAB comment (\t, \n and \\ escaped), UTF-8.
import java.io.File;
import java.io.PrintStream;
import java.util.List;
import org.omegat.core.Core;
import org.omegat.core.data.NotLoadedProject;
import org.omegat.core.data.ProjectProperties;
import org.omegat.gui.glossary.GlossaryEntry;
import org.omegat.gui.glossary.GlossaryReaderTBX;
import org.omegat.gui.glossary.GlossaryReaderTSV;

public class OmegaTGlossary {
    public static void main(String[] args) throws Exception {
        File file = new File(args[0]);
        ProjectProperties props = new ProjectProperties(new File(args[3]));
        props.setSourceLanguage(args[1]);
        props.setTargetLanguage(args[2]);
        Core.setProject(new NotLoadedProject() {
            @Override
            public ProjectProperties getProjectProperties() {
                return props;
            }
        });
        List<GlossaryEntry> entries = file.getName().endsWith(".tbx")
                ? GlossaryReaderTBX.read(file, false)
                : GlossaryReaderTSV.read(file, false);
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        for (GlossaryEntry e : entries) {
            out.println(escape(e.getSrcText()) + "\t" + escape(e.getLocText()) + "\t"
                    + escape(e.getCommentText()));
        }
    }

    private static String escape(String s) {
        return s == null ? "" : s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n");
    }
}
