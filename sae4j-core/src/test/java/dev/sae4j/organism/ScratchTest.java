package dev.sae4j.organism;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
class ScratchTest {
  public static void main(String[] a) throws Exception { new ScratchTest().t(); }
  @Test void t() throws Exception {
    TorchThreads.set(1);
    OrganismRecipe r = new OrganismRecipe(System.getProperty("task", "mix"), new OrganismConfig(Integer.getInteger("layers", 3), Integer.getInteger("d", 128), 4, 96), 1, Integer.getInteger("steps", 1500), 0, Integer.getInteger("batch", 32), Double.parseDouble(System.getProperty("lr", "3e-3")), 100, 0.05, Integer.getInteger("evalEvery", 250), Integer.getInteger("evalN", 100));
    try (OrganismTrainer t = new OrganismTrainer(r)) {
      t.train(System.out);
      OrganismIo.save(t, Path.of(System.getProperty("out", "/tmp/org-mix")));
      System.out.println("secs " + t.seconds());
    }
  }
}
