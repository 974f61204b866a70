import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.cp.lock.FencedLock;
import com.hazelcast.map.IMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The reference the tester's Hazelcast methods are compared with: the same operations from the
 * official Java client, one thread per simulated user, closed loop, warm (every method runs its
 * warm-up once before any is measured, and again just before its own run), on the same clients
 * as the tester's users: one shared client, or one client per user for the methods whose tester
 * users each have their own (a method written `pn_counter:per-user`). Java's map lock belongs to the
 * calling thread, so Java threads sharing a client would exclude each other, but the users of
 * a per-user method differ in more than the lock: their own connections, and for pn_counter
 * their own replica; so like for like is the same clients.
 *
 * Usage: java HazelcastMethodBench members clusterName mapName key atomicName pnName lockName
 *        threads durationMs warmupMs method[:per-user][,method...]
 * Prints one line per method: RESULT {"method":..,"ops":..,"rps":..,"p99Us":..,"errors":..}
 */
public final class HazelcastMethodBench {
  private interface Op {
    void run() throws Exception;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 11) {
      System.err.println("usage: HazelcastMethodBench members clusterName mapName key atomicName pnName lockName threads durationMs warmupMs methods");
      System.exit(2);
    }
    List<HazelcastInstance> clients = new ArrayList<>();
    try {
      int threads = Integer.parseInt(args[7]);
      long durationMs = Long.parseLong(args[8]);
      long warmupMs = Long.parseLong(args[9]);
      clients.add(connect(args));
      String[] specs = args[10].split(",");
      Op[][] opsBySpec = new Op[specs.length][];
      for (int i = 0; i < specs.length; i++) {
        String method = specs[i].replace(":per-user", "");
        boolean perUser = !method.equals(specs[i]);
        while (perUser && clients.size() < threads) clients.add(connect(args));
        opsBySpec[i] = new Op[threads];
        for (int t = 0; t < threads; t++) opsBySpec[i][t] = operation(method, perUser ? clients.get(t) : clients.get(0), args);
      }
      // Every method warms the JIT once before any is measured: the first method would otherwise
      // meet a JVM still compiling the client's common paths, the later ones a warm one.
      for (Op[] ops : opsBySpec) run(ops, warmupMs);
      for (int i = 0; i < specs.length; i++) {
        run(opsBySpec[i], warmupMs);
        long[] result = run(opsBySpec[i], durationMs);
        double seconds = result[0] / 1e9;
        System.out.printf("RESULT {\"method\":\"%s\",\"ops\":%d,\"rps\":%.1f,\"p99Us\":%d,\"errors\":%d}%n",
            specs[i].replace(":per-user", ""), result[1], result[1] / seconds, result[2], result[3]);
      }
    } finally {
      for (HazelcastInstance client : clients) client.shutdown();
    }
  }

  private static HazelcastInstance connect(String[] args) {
    ClientConfig config = new ClientConfig();
    config.setClusterName(args[1]);
    config.getNetworkConfig().setAddresses(Arrays.asList(args[0].split(",")));
    return HazelcastClient.newHazelcastClient(config);
  }

  /** One user's increment on `client`, its proxies fetched once, before the clock starts. */
  private static Op operation(String method, HazelcastInstance client, String[] args) {
    IMap<String, Long> map = client.getMap(args[2]);
    String key = args[3];
    switch (method) {
      case "no_lock":
        return () -> map.set(key, value(map.get(key)) + 1);
      case "pessimistic":
        return () -> {
          map.lock(key);
          try {
            map.set(key, value(map.get(key)) + 1);
          } finally {
            map.unlock(key);
          }
        };
      case "optimistic":
        return () -> optimisticIncrement(map, key);
      case "atomic":
        return client.getCPSubsystem().getAtomicLong(args[4])::incrementAndGet;
      case "fenced_lock": {
        FencedLock lock = client.getCPSubsystem().getLock(args[6]);
        return () -> {
          lock.lock();
          try {
            map.set(key, value(map.get(key)) + 1);
          } finally {
            lock.unlock();
          }
        };
      }
      case "pn_counter":
        return client.getPNCounter(args[5])::incrementAndGet;
      default:
        throw new IllegalArgumentException("unknown method " + method);
    }
  }

  private static long value(Long stored) {
    return stored == null ? 0 : stored;
  }

  /** Same bounded full-jitter backoff as the tester's optimistic method (1 ms doubling to 20 ms). */
  private static void optimisticIncrement(IMap<String, Long> map, String key) throws InterruptedException {
    for (int retry = 0; ; retry++) {
      Long current = map.get(key);
      boolean swapped = current == null ? map.putIfAbsent(key, 1L) == null : map.replace(key, current, current + 1);
      if (swapped) return;
      long windowUs = Math.min(20_000L, 1_000L << Math.min(retry, 20));
      long sleepUs = ThreadLocalRandom.current().nextLong(windowUs + 1);
      Thread.sleep(sleepUs / 1000, (int) (sleepUs % 1000) * 1000);
    }
  }

  /** Closed loop, one thread per op, for durationMs: {elapsed ns, ops, p99 µs, errors}. */
  private static long[] run(Op[] ops, long durationMs) throws InterruptedException {
    int threads = ops.length;
    List<Thread> workers = new ArrayList<>();
    long[][] latencies = new long[threads][];
    int[] counts = new int[threads];
    long[] errors = new long[threads];
    long start = System.nanoTime();
    long deadline = start + durationMs * 1_000_000L;
    for (int t = 0; t < threads; t++) {
      int index = t;
      Op op = ops[t];
      Thread worker = new Thread(() -> {
        long[] mine = new long[1 << 16];
        int n = 0;
        while (System.nanoTime() < deadline) {
          long began = System.nanoTime();
          try {
            op.run();
          } catch (Exception e) {
            errors[index]++;
            continue;
          }
          if (n == mine.length) mine = Arrays.copyOf(mine, n * 2);
          mine[n++] = System.nanoTime() - began;
        }
        latencies[index] = mine;
        counts[index] = n;
      });
      workers.add(worker);
      worker.start();
    }
    for (Thread worker : workers) worker.join();
    long elapsed = System.nanoTime() - start;
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    int at = 0;
    for (int t = 0; t < threads; t++) {
      System.arraycopy(latencies[t], 0, all, at, counts[t]);
      at += counts[t];
    }
    Arrays.sort(all);
    long p99Us = total == 0 ? 0 : all[Math.min(total - 1, (int) Math.ceil(total * 0.99) - 1)] / 1000;
    return new long[] {elapsed, total, p99Us, Arrays.stream(errors).sum()};
  }
}
