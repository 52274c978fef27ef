package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.dialect.func.FuncOps;
import io.hlo4j.mlir.dialect.sdy.MeshUse;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.pjrt.CompileCache;
import io.hlo4j.runtime.pjrt.CompileOptions;
import io.hlo4j.runtime.pjrt.HostArrays;
import io.hlo4j.runtime.pjrt.PjrtBuffer;
import io.hlo4j.runtime.pjrt.PjrtClient;
import io.hlo4j.runtime.pjrt.PjrtDevice;
import io.hlo4j.runtime.pjrt.PjrtException;
import io.hlo4j.runtime.pjrt.PjrtExecutable;
import io.hlo4j.runtime.pjrt.PjrtPlugin;
import io.hlo4j.runtime.pjrt.distributed.BlockExchange;
import io.hlo4j.runtime.pjrt.distributed.DistributedProcess;
import io.hlo4j.runtime.pjrt.distributed.JobSpec;
import io.hlo4j.runtime.pjrt.distributed.KeyValueStore;
import io.hlo4j.runtime.spmd.ShardingException;
import io.hlo4j.runtime.spmd.SpmdRunner;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs modules through a PJRT plugin. The module is verified here, printed as StableHLO text and compiled
 * with the options JAX sends for a jit over N devices, N being the module's {@code mhlo.num_partitions}
 * (1 when absent): one partition per addressable device, in the plugin's device order, SPMD partitioning
 * and Shardy on when N > 1. Each call copies arguments to the devices and the results back as
 * {@link HostArray}s, closing every device buffer it made. An N-partition entry function annotated with
 * {@code sdy.sharding}s takes and returns global arrays ({@link Compiled#callGlobal}), split and assembled
 * exactly as the interpreter's SPMD runner does; an unannotated one takes each device's own arrays
 * ({@link Compiled#callPerDevice}). Closing the backend closes the client and with it
 * every executable compiled through it; an executable whose {@link Compiled} became unreachable is closed before that,
 * after a garbage collection.
 *
 * <p>With a compile cache folder (the system property {@value #CACHE_PROPERTY}, else the environment
 * variable {@value #CACHE_ENV}, or {@link #open(Path, Map, Path)}), executables are serialized there and
 * loaded again by later processes instead of compiled ({@link CompileCache}; JAX's persistent compilation
 * cache plays the same part). Off by default.
 *
 * <p>One process of a multi-process job: {@link #open(Path, Map, JobSpec, Path)} joins the job (the one place that does),
 * creates the client with the job's store, compiles N-partition programs over the job's global devices and runs this
 * process's partitions; a global call exchanges result blocks with the other processes, and any failure in
 * {@link #compile} or a call is told to them ({@link DistributedProcess#fail}) before it is thrown here.
 *
 * <p>Threads: compiles and calls may run on several threads at once, except a job's global calls (a program whose
 * partitions run on several processes): call n of each process exchanges blocks with call n of the others, so they are
 * made one at a time, in the same order on every process, so from one thread. One that overlaps another on this backend
 * is refused ({@link Compiled#callGlobal}), and so is, on every process, a call n whose arguments differ from call n's
 * on another process (calls made in other orders: {@link CallSignature}).
 */
public final class PjrtBackend implements Backend, AutoCloseable {
    /** Environment variable and system property naming the plugin that {@link #fromEnvironment()} loads. */
    public static final String PLUGIN_ENV = "HLO4J_PJRT_PLUGIN";
    public static final String PLUGIN_PROPERTY = "hlo4j.pjrt.plugin";
    /** Environment variable and system property naming the compile cache folder (unset: no cache). */
    public static final String CACHE_ENV = "HLO4J_PJRT_CACHE";
    public static final String CACHE_PROPERTY = "hlo4j.pjrt.cache";

    private final PjrtClient client;
    private final List<PjrtDevice> devices;
    private final List<PjrtDevice> globalDevices;
    private final int processIndex, processCount;
    private final CompileCache cache;
    private final DistributedProcess job;   // null unless opened for a job
    private final Duration jobTimeout;
    private final java.util.concurrent.atomic.AtomicLong exchanges = new java.util.concurrent.atomic.AtomicLong();
    /** A job's global call in flight: they must not overlap, since call n's blocks are matched by n on every process. */
    private final java.util.concurrent.atomic.AtomicBoolean jobCallInFlight = new java.util.concurrent.atomic.AtomicBoolean();
    /** Why this backend refuses further global calls of its job (an overlapping call broke the job's order); null while none did. */
    private volatile String jobOrderBroken;
    private final String name;
    /** Set by {@link #close} under the write lock; read under the read lock by each compile and call. */
    private volatile boolean closed;
    /** The instance {@link Backend#configured()} hands every caller: its close is refused. */
    private volatile boolean shared;
    /**
     * Held shared by each compile and each call's native work, exclusively by {@link #close}: close waits for the calls in
     * flight, and no call hands the plugin a handle close destroyed (a real plugin would read freed memory). The client,
     * executables and buffers guard each of their own calls too (they are safe to close under use), but only per call: a
     * call here is a sequence (arguments to the devices, execute, results back, buffers closed), and this lock keeps the
     * whole of it on one side of close, so a call in flight completes and a later one is a {@link BackendClosedException}
     * before it starts, never a failure half way with some buffers made.
     */
    private final java.util.concurrent.locks.ReentrantReadWriteLock inFlight = new java.util.concurrent.locks.ReentrantReadWriteLock();
    /** The keys under which a job's processes exchange call n's result blocks: {@code hlo4j/call/<n>/}. */
    public static final String CALL_PREFIX = "hlo4j/call/";

    private PjrtBackend(PjrtClient client, Path cacheDir) { this(client, cacheDir, null, null); }

    private PjrtBackend(PjrtClient client, Path cacheDir, DistributedProcess job, Duration jobTimeout) {
        this.client = client;
        this.job = job;
        this.jobTimeout = jobTimeout;
        this.cache = cacheDir == null ? null : new CompileCache(cacheDir);
        this.devices = client.addressableDevices();
        if (devices.isEmpty()) {   // open() closes the client
            throw new Hlo4jException("PJRT plugin " + client.plugin().path() + " has no addressable device", null);
        }
        this.globalDevices = client.devices();
        this.name = "pjrt:" + client.platformName();
        this.processIndex = client.processIndex();
        this.processCount = (int) Math.max(1, globalDevices.stream().mapToInt(PjrtDevice::processIndex).filter(p -> p >= 0).distinct().count());
    }

    /**
     * Joins the job {@code spec} describes ({@link DistributedProcess#initialize(JobSpec)}) and opens {@code plugin} as
     * that process: create options {@code options} plus the job's {@code node_id}/{@code num_nodes}, the job's store given
     * to the plugin, compiled executables cached in {@code cacheDir} (null: none; each process keys its own entries). A job
     * of one process (or a null {@code spec}) is the plain {@link #open(Path, Map, Path)}. Closing the backend closes the
     * client, then leaves the job ({@link DistributedProcess#close}). A failure here is told to the other processes.
     */
    public static PjrtBackend open(Path plugin, Map<String, ?> options, JobSpec spec, Path cacheDir) {
        if (spec == null || !spec.distributed()) return open(plugin, options, cacheDir);
        for (String k : new String[] {"node_id", "num_nodes"})
            if (options.containsKey(k))
                throw new IllegalArgumentException("PJRT option " + k + " is set by the job (" + spec + "); leave it out");
        DistributedProcess p = DistributedProcess.initialize(spec);
        try {
            Map<String, Object> all = new LinkedHashMap<>(options);
            all.putAll(p.clientOptions());
            PjrtClient client = PjrtPlugin.load(plugin).createClient(all, p.store());
            try {
                return new PjrtBackend(client, cacheDir, p, spec.timeout());
            } catch (RuntimeException e) {
                client.close();
                throw e;
            }
        } catch (RuntimeException | Error e) {
            p.fail("process " + spec.processId() + ": " + e.getMessage());
            try {
                p.close();
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /** The job this backend is a process of ({@link #open(Path, Map, JobSpec, Path)}), or null. */
    public DistributedProcess job() { return job; }

    /**
     * Tells the job's other processes that this one failed ({@code message}, prefixed with this process's id), so their
     * waits end naming it; nothing without a job. The backend's own compile and calls do it themselves; a front end calls
     * it for a failure of its own (reading inputs, writing results) after the job was joined.
     */
    public void failJob(String message) {
        if (job != null) job.fail("process " + job.processId() + ": " + message);
    }

    private RuntimeException failed(RuntimeException e) {
        if (job != null) job.fail("process " + job.processId() + ": " + e.getMessage(),
                e instanceof io.hlo4j.runtime.pjrt.distributed.KeyValueException k ? k.missing() : List.of());
        return e;
    }

    /**
     * As {@link #open(Path, Map)} for one process of a multi-process job (a TPU pod slice, a multi-node GPU job): the
     * client exchanges its topology with the other processes through {@code store} (see
     * {@link PjrtPlugin#createClient(Map, KeyValueStore)}), and programs are compiled
     * over the job's global devices ({@link #compile(Module, int)}).
     */
    public static PjrtBackend open(Path plugin, Map<String, ?> options, KeyValueStore store, Path cacheDir) {
        PjrtClient client = PjrtPlugin.load(plugin).createClient(options, store);
        try {
            return new PjrtBackend(client, cacheDir);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /**
     * Loads {@code plugin} and creates a client with {@code options} (see {@link PjrtPlugin#createClient(Map)});
     * compiles through the configured compile cache ({@link #configuredCache()}) when there is one.
     */
    public static PjrtBackend open(Path plugin, Map<String, ?> options) { return open(plugin, options, configuredCache()); }

    /** As {@link #open(Path, Map)}, with compiled executables cached in {@code cacheDir} (null: no cache). */
    public static PjrtBackend open(Path plugin, Map<String, ?> options, Path cacheDir) {
        PjrtClient client = PjrtPlugin.load(plugin).createClient(options);
        try {
            return new PjrtBackend(client, cacheDir);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** The folder named by {@value #CACHE_PROPERTY}, else {@value #CACHE_ENV}; null when neither is set. */
    public static Path configuredCache() {
        String p = System.getProperty(CACHE_PROPERTY);
        if (p == null || p.isBlank()) p = System.getenv(CACHE_ENV);
        return p == null || p.isBlank() ? null : Path.of(p);
    }

    /** The compile cache in use, or null. */
    public CompileCache cache() { return cache; }

    /**
     * The plugin named by the system property {@value #PLUGIN_PROPERTY}, else by the environment variable
     * {@value #PLUGIN_ENV}; null when neither is set (the interpreter then stays the backend).
     */
    public static Path configuredPlugin() {
        String p = System.getProperty(PLUGIN_PROPERTY);
        if (p == null || p.isBlank()) p = System.getenv(PLUGIN_ENV);
        return p == null || p.isBlank() ? null : Path.of(p);
    }

    public PjrtClient client() { return client; }

    /** This process's (addressable) devices, in the plugin's order. */
    public List<PjrtDevice> devices() { return devices; }

    /** Every device of the job, this process's and the others', in the plugin's order: partition p runs on the p-th. */
    public List<PjrtDevice> globalDevices() { return globalDevices; }

    /** This process's index in the job (0 when it runs alone). */
    public int processIndex() { return processIndex; }

    /** How many processes own the job's devices (1 for a single-process plugin). */
    public int processCount() { return processCount; }

    @Override public String name() { return name; }

    /** Marks the instance {@link ConfiguredBackend} shares: its close is refused (another caller may be using it). */
    PjrtBackend shared() {
        shared = true;
        return this;
    }

    /** Refuses {@code what} once the backend is closed; called with the read lock held, so close cannot come in between. */
    private void checkOpen(String what) {
        if (closed) throw new BackendClosedException("the PJRT backend " + name + " is closed; " + what + " (open a new PjrtBackend)");
    }

    /** The module's {@code mhlo.num_partitions}, or 1. */
    public static int partitions(Module module) {
        Attribute a = module.attributes() == null ? null : module.attributes().get("mhlo.num_partitions");
        if (a == null) return 1;
        if (!(a instanceof IntegerAttr i) || i.value() < 1)
            throw new Hlo4jException("module attribute mhlo.num_partitions = " + a + " is not a positive integer", module.op().location());
        return Math.toIntExact(i.value());
    }

    /** Compiles for the module's own partition count ({@link #partitions(Module)}). */
    @Override public Compiled compile(Module module) { return compile(module, partitions(module)); }

    /**
     * Compiles for {@code partitions} devices: the first that many addressable devices when this process runs alone;
     * in a multi-process job, for N > 1 partitions, the first N of the job's global devices ({@link #globalDevices()}),
     * so that every process compiles the same device assignment, each then running the partitions on its own devices;
     * a program of one partition is compiled by each process for its own first device.
     */
    public Compiled compile(Module module, int partitions) {
        inFlight.readLock().lock();
        try {
            checkOpen("it cannot compile");
            return compileChecked(module, partitions);
        } catch (RuntimeException e) {
            throw failed(e);
        } finally {
            inFlight.readLock().unlock();
        }
    }

    private Compiled compileChecked(Module module, int partitions) {
        ModuleVerifier.verify(module);
        Operation entry = module.entryFunction();
        if (entry == null) throw new Hlo4jException("module has no @main and more than one function: no entry to compile", module.op().location());
        if (partitions < 1) throw new Hlo4jException("cannot compile for " + partitions + " partitions", module.op().location());
        // N > 1 partitions of a job: the job's devices, the same assignment in every process. One partition: each process
        // compiles it for its own first device, as JAX's jit does for a program on the default (local) device.
        boolean overJob = processCount > 1 && partitions > 1;
        List<PjrtDevice> pool = overJob ? globalDevices : devices;
        if (partitions > pool.size())
            throw new Hlo4jException("module needs " + partitions + " partitions but PJRT plugin " + client.plugin().path().getFileName()
                    + " has " + pool.size() + (overJob ? " device" + (pool.size() == 1 ? "" : "s") + " over " + processCount + " processes "
                    : " addressable device" + (pool.size() == 1 ? "" : "s") + " ") + pool.stream().map(PjrtDevice::id).toList(),
                    module.op().location());
        List<PjrtDevice> use = pool.subList(0, partitions);
        if (use.stream().noneMatch(PjrtDevice::addressable))
            throw new Hlo4jException("module's " + partitions + " partition" + (partitions == 1 ? "" : "s") + " run on devices "
                    + use.stream().map(PjrtDevice::id).toList() + ", none of them this process's (" + processIndex + ", devices "
                    + devices.stream().map(PjrtDevice::id).toList() + "): this process has nothing to run", module.op().location());
        String text = MlirPrinter.print(module);
        long[] ids = use.stream().mapToLong(PjrtDevice::id).toArray();
        FunctionType sig = FuncOps.signature(entry);
        CompileOptions options = partitions == 1 ? CompileOptions.singleDevice(ids[0])
                : spmdOptions(entry, sig, ids);
        PjrtExecutable exe;
        try {
            exe = cache == null ? client.compile(text, options) : cache.compile(client, text, options);
        } catch (PjrtException e) {   // XLA's refusal, placed where the program came from
            throw !module.op().location().isPlaced() ? e : e.at(module.op().location());
        }
        return new Compiled(module, entry, sig, exe, options);
    }

    /**
     * JAX's options for a jit over {@code ids}: SPMD with Shardy, and per argument and result "XLA may choose
     * the sharding" exactly where the entry function gives no {@code sdy.sharding} (JAX's unspecified ones).
     */
    public static CompileOptions spmdOptions(Operation entry, FunctionType sig, long[] ids) {
        boolean[] params = new boolean[sig.inputs().size()];
        for (int i = 0; i < params.length; i++) params[i] = !hasSharding(FuncOps.argAttrs(entry, i));
        boolean[] results = new boolean[sig.results().size()];
        for (int i = 0; i < results.length; i++) results[i] = !hasSharding(FuncOps.resultAttrs(entry, i));
        // process_index/process_count stay 0 of 1 in a multi-process job too: JAX never sets them, and XLA's GPU client
        // sets them itself from the processes the device assignment names
        CompileOptions.Builder b = CompileOptions.builder().devices(ids).shardyPartitioner(true);
        if (params.length > 0) b.propagateToParameters(params);
        if (results.length > 0) b.propagateToOutput(results);
        return b.build();
    }

    private static boolean hasSharding(DictionaryAttr attrs) { return attrs != null && attrs.contains("sdy.sharding"); }

    /** Closes the executables of {@link Compiled}s that became unreachable (one daemon thread for the process). */
    private static final Cleaner EXECUTABLES = Cleaner.create();

    /**
     * The cleaning action of one {@link Compiled}: closes its executable, unless the client's close already did. It holds the
     * executable, never the Compiled (which would then stay reachable). A call in flight on the executable cannot be one of
     * the Compiled's (they keep it reachable to their end), only a user's of {@link Compiled#executable()}, and the close
     * waits for it (the executable's guard).
     */
    private record CloseExecutable(PjrtExecutable exe) implements Runnable {
        @Override public void run() {
            if (exe.isClosed()) return;
            try {
                exe.close();
            } catch (IllegalStateException | PjrtException e) {   // the client's close got there first, or the plugin refused: nothing left to free here
                // ignored: a cleaner's action must not throw
            }
        }
    }

    /**
     * A module compiled through this backend: one PJRT executable over {@link #devices()}. The executable is freed when
     * the backend closes, or earlier, once this Compiled is unreachable (garbage collected: a {@link Cleaner} closes it),
     * so that programs a cache drops ({@code Jit}'s) do not hold the device's memory until the backend closes. A call
     * keeps its Compiled reachable until it returns; whoever uses {@link #executable()} directly keeps the Compiled
     * reachable as long (its close would otherwise refuse their later calls with {@link io.hlo4j.runtime.pjrt.PjrtClosedException}).
     */
    public final class Compiled implements Executable {
        private final Module module;
        private final Operation entry;
        private final FunctionType sig;
        private final PjrtExecutable exe;
        private final CompileOptions options;
        private volatile GlobalLayout layout;   // read on the first global call
        private final List<PjrtDevice> exeDevices;   // read once: the executable's own list is refused once it is closed

        private Compiled(Module module, Operation entry, FunctionType sig, PjrtExecutable exe, CompileOptions options) {
            this.module = module;
            this.entry = entry;
            this.sig = sig;
            this.exe = exe;
            this.options = options;
            this.exeDevices = exe.devices();
            EXECUTABLES.register(this, new CloseExecutable(exe));
        }

        @Override public Module module() { return module; }
        @Override public Backend backend() { return PjrtBackend.this; }

        /**
         * The PJRT executable (cost analysis, memory stats, optimized program, serialize). It belongs to this Compiled and
         * is closed once the Compiled is unreachable: keep the Compiled (or {@link Reference#reachabilityFence} it) while
         * you use the executable.
         */
        public PjrtExecutable executable() { return exe; }

        public CompileOptions options() { return options; }

        /** This process's devices the executable runs on, in the order {@link #callPerDevice} takes argument lists. */
        public List<PjrtDevice> devices() { return exeDevices; }

        /** The job's partition count (every process's partitions). */
        public int partitions() { return options.numPartitions() * options.numReplicas(); }

        /**
         * The partitions this process runs, one per device of {@link #devices()} in that order: partition p is the p-th
         * device of the compile's assignment, and holds the blocks of the mesh position whose {@code device_ids} entry is p.
         * All partitions when the process runs alone.
         */
        public List<Integer> localPartitions() {
            long[] ids = options.deviceIds();
            List<Integer> out = new ArrayList<>();
            for (PjrtDevice d : exeDevices) {
                int p = -1;
                for (int i = 0; i < ids.length; i++) if (ids[i] == d.id()) p = i;
                if (p < 0) throw new Hlo4jException("PJRT executable runs on device " + d.id() + ", which its device assignment "
                        + java.util.Arrays.toString(ids) + " does not name", entry.location());
                out.add(p);
            }
            return List.copyOf(out);
        }

        /**
         * Global arrays in, global arrays out: on one device the plain call; on N partitions {@link #callGlobal} when the
         * entry function carries {@code sdy.sharding}s. An unannotated N-partition program takes each device's own
         * arguments ({@link #callPerDevice}) and is refused here.
         */
        @Override public List<HostArray> call(List<HostArray> args) {
            try {
                if (partitions() != 1) {
                    if (takesGlobalArrays()) return callGlobal(args);
                    throw new Hlo4jException("program runs on " + partitions() + " devices and its entry function has no sdy.sharding:"
                            + " give one argument list per device (callPerDevice)", entry.location());
                }
                ArgumentMismatchException.check(entry, sig, args);
                return callPerDevice(List.of(args)).getFirst();
            } catch (RuntimeException e) {   // in a job, the other processes hear of it instead of waiting out the timeout
                throw failed(e);
            }
        }

        /** Whether {@link #call} splits global arrays: more than one partition and shardings on the entry function. */
        public boolean takesGlobalArrays() { return partitions() > 1 && MeshUse.shardsSignature(entry); }

        /**
         * Runs on global arrays as the interpreter would run the global program: {@link #localBlocks} splits argument i into
         * the block each partition holds under its {@code sdy.sharding} ({@link SpmdRunner#split}), {@link #callBlocks} runs
         * every partition and checks each result j has the local type result j's sharding implies, and
         * {@link #assembleResults} assembles them ({@link SpmdRunner#assemble}; copies of a replicated block must agree bit
         * for bit). Refused by name: a missing sharding, a sharding on a mesh of another size, indivisible dimensions,
         * unreduced axes on an argument ({@link GlobalLayout}), a result of the wrong local type, replicas that disagree,
         * and a program whose partitions run on several processes (each process holds only its blocks: use the three
         * steps, gathering the other processes' result blocks before assembling).
         */
        public List<HostArray> callGlobal(List<HostArray> args) {
            try {
                return callGlobalChecked(args);
            } catch (RuntimeException e) {   // in a job, the other processes hear of it instead of waiting out the timeout
                throw failed(e);
            }
        }

        private List<HostArray> callGlobalChecked(List<HostArray> args) {
            ArgumentMismatchException.check(entry, sig, args);
            if (partitions() == 1) return callPerDevice(List.of(args)).getFirst();
            if (localPartitions().size() != partitions() && job != null) return callOfJob(args);
            if (localPartitions().size() != partitions())
                throw new Hlo4jException("program's " + partitions() + " partitions run on " + processCount + " processes; this process ("
                        + processIndex + ") holds partitions " + localPartitions() + " on devices " + exeDevices.stream().map(PjrtDevice::id).toList()
                        + ": give it its blocks (localBlocks, callBlocks) and assemble the results of every process (assembleResults)", entry.location());
            return assembleResults(callBlocks(localBlocks(args)));
        }

        /**
         * A global call of a job: call n of this process exchanges its result blocks with call n of every other process, so
         * the calls are made one at a time, in the same order on every process. An overlapping call cannot be matched (each
         * process may number the two the other way round, mixing their blocks): it is refused, the job is told, the call in
         * flight fails instead of returning, and so does every later global call of this backend.
         */
        private List<HostArray> callOfJob(List<HostArray> args) {
            String broken = jobOrderBroken;
            if (broken != null) throw new IllegalStateException(broken);
            if (!jobCallInFlight.compareAndSet(false, true)) {
                String why = "a global call of " + entry.location() + " was made while another was"
                        + " in flight on another thread; a job's calls are made one at a time, in the same order"
                        + " on every process, so their result blocks can no longer be matched: this backend refuses its later global calls"
                        + " (open the job again)";
                jobOrderBroken = why;
                throw new IllegalStateException(why);
            }
            try {
                long n = exchanges.getAndIncrement();
                String prefix = CALL_PREFIX + n + "/";
                // calls made in other orders on other processes, without overlapping here, are caught by comparing fingerprints
                byte[] sig = CallSignature.of(io.hlo4j.mlir.ir.SymbolTable.symbolName(entry), args);
                job.store().put(CallSignature.key(prefix, job.processId()), sig);
                List<HostArray> out = callGlobal(args, job.store(), prefix, jobTimeout);
                // an overlapping call came meanwhile: this process's order is broken, and these blocks may be another call's
                if (jobOrderBroken != null) throw new IllegalStateException(jobOrderBroken);
                CallSignature.check(job.store(), prefix, sig, job.processId(), job.numProcesses(), jobTimeout, n, entry.location());
                // Every other process has put its blocks of call n, so each has read all of call n - 1's: process 0 drops them,
                // and the store holds at most two calls' blocks however many calls a job makes (a training loop).
                if (n > 0 && job.processId() == 0) job.store().deletePrefix(CALL_PREFIX + (n - 1) + "/");
                return out;
            } finally {
                jobCallInFlight.set(false);
            }
        }

        /**
         * {@link #callGlobal} for one process of a multi-process job: this process splits the global arguments (every
         * process passes the same), runs its own partitions ({@link #localBlocks}, {@link #callBlocks}), exchanges result
         * blocks with the other processes through {@code store} under keys starting with {@code prefix} (new for each call
         * of a job; {@link BlockExchange}), waiting up to {@code timeout} for theirs, and
         * assembles the global results, the same on every process. Alone, the plain {@link #callGlobal}.
         */
        public List<HostArray> callGlobal(List<HostArray> args, KeyValueStore store, String prefix,
                                          java.time.Duration timeout) {
            if (localPartitions().size() == partitions()) return callGlobal(args);
            java.util.SortedMap<Integer, List<HostArray>> mine = callBlocks(localBlocks(args));
            Map<Integer, Integer> owners = new java.util.HashMap<>();
            long[] ids = options.deviceIds();
            for (int p = 0; p < ids.length; p++)
                for (PjrtDevice d : globalDevices) if (d.id() == ids[p]) owners.put(p, d.processIndex());
            return assembleResults(BlockExchange.allGather(store, prefix, mine, partitions(), timeout, owners));
        }

        /**
         * The blocks of global arguments that this process's partitions hold ({@link #localPartitions()}), by partition:
         * what {@link #callBlocks} takes. Every process of a job may call it with the same global arrays.
         */
        public java.util.SortedMap<Integer, List<HostArray>> localBlocks(List<HostArray> args) {
            ArgumentMismatchException.check(entry, sig, args);
            GlobalLayout layout = globalLayout();
            List<Integer> mine = localPartitions();
            java.util.SortedMap<Integer, List<HostArray>> out = new java.util.TreeMap<>();
            for (int p : mine) out.put(p, new ArrayList<>());
            for (int i = 0; i < args.size(); i++) {
                GlobalLayout.Placed pl = layout.arguments().get(i);
                List<HostArray> blocks;
                try {
                    blocks = SpmdRunner.split(args.get(i), pl.mesh(), pl.sharding());
                } catch (ShardingException e) {
                    throw new ShardingException(pl.what() + ": " + e.getMessage(), entry.location());
                }
                for (int p : mine) out.get(p).add(blocks.get(p));
            }
            return out;
        }

        /**
         * Runs this process's partitions on their blocks: {@code blocks} maps each partition of {@link #localPartitions()}
         * (all of them, no other) to its argument blocks, in the local types the arguments' shardings imply; returns each
         * partition's result blocks, checked against the local types of the results' shardings. A partition of another
         * process, or one missing, is refused by name before anything runs.
         */
        public java.util.SortedMap<Integer, List<HostArray>> callBlocks(Map<Integer, List<HostArray>> blocks) {
            GlobalLayout layout = globalLayout();
            List<Integer> mine = localPartitions();
            List<PjrtDevice> ds = exeDevices;
            for (int p : blocks.keySet())
                if (!mine.contains(p))
                    throw new Hlo4jException("block for partition " + p + (p >= 0 && p < partitions() ? " (device " + options.deviceIds()[p] + ")" : "")
                            + ": this process (" + processIndex + ") holds partitions " + mine + " on devices " + ds.stream().map(PjrtDevice::id).toList()
                            + (p >= 0 && p < partitions() ? "; partition " + p + " is another process's" : "; the program has " + partitions() + " partitions"),
                            entry.location());
            List<List<HostArray>> perDevice = new ArrayList<>();
            for (int d = 0; d < mine.size(); d++) {
                int p = mine.get(d);
                List<HostArray> b = blocks.get(p);
                if (b == null)
                    throw new Hlo4jException("no blocks for partition " + p + " (device " + ds.get(d).id() + "): this process holds partitions " + mine
                            + " and runs them all", entry.location());
                if (b.size() != layout.arguments().size())
                    throw new ArgumentMismatchException("partition " + p + " got " + b.size() + " argument blocks; the entry function takes " + layout.arguments().size(),
                            entry.location());
                for (int i = 0; i < b.size(); i++) {
                    GlobalLayout.Placed pl = layout.arguments().get(i);
                    if (b.get(i) == null)
                        throw new ArgumentMismatchException(pl.what() + ": the block for partition " + p + " is null", entry.location());
                    if (!b.get(i).type().equals(pl.local()))
                        throw new ArgumentMismatchException(pl.what() + ": the block for partition " + p + " is " + b.get(i).type() + " but " + pl.sharding()
                                + " on " + partitions() + " partitions needs " + pl.local(), entry.location());
                }
                perDevice.add(b);
            }
            List<List<HostArray>> out = callPerDevice(perDevice);
            java.util.SortedMap<Integer, List<HostArray>> results = new java.util.TreeMap<>();
            for (int d = 0; d < mine.size(); d++) {
                List<HostArray> r = out.get(d);
                int p = mine.get(d);
                if (r.size() != layout.results().size())
                    throw new Hlo4jException("partition " + p + " (PJRT device " + ds.get(d).id() + ") returned " + r.size()
                            + " results; the entry function has " + layout.results().size(), entry.location());
                for (int j = 0; j < r.size(); j++) {
                    GlobalLayout.Placed pl = layout.results().get(j);
                    if (!r.get(j).type().equals(pl.local()))
                        throw new Hlo4jException(pl.what() + ": partition " + p + " (PJRT device " + ds.get(d).id() + ") returned "
                                + r.get(j).type() + " but " + pl.sharding() + " on " + partitions() + " partitions needs " + pl.local(), entry.location());
                }
                results.put(p, r);
            }
            return results;
        }

        /**
         * The global results from every partition's result blocks ({@link #callBlocks} of each process of the job, gathered
         * by the caller); a missing or unknown partition is refused by name.
         */
        public List<HostArray> assembleResults(Map<Integer, List<HostArray>> blocksByPartition) {
            GlobalLayout layout = globalLayout();
            int n = partitions();
            for (int p : blocksByPartition.keySet())
                if (p < 0 || p >= n) throw new Hlo4jException("result blocks for partition " + p + ": the program has " + n + " partitions", entry.location());
            List<Integer> missing = new ArrayList<>();
            for (int p = 0; p < n; p++) if (!blocksByPartition.containsKey(p)) missing.add(p);
            if (!missing.isEmpty())
                throw new Hlo4jException("cannot assemble the results: no blocks for partition" + (missing.size() == 1 ? " " : "s ") + missing
                        + " (another process's: gather them first)", entry.location());
            List<HostArray> results = new ArrayList<>();
            for (int j = 0; j < layout.results().size(); j++) {
                GlobalLayout.Placed pl = layout.results().get(j);
                List<HostArray> blocks = new ArrayList<>();
                for (int p = 0; p < n; p++) {
                    List<HostArray> r = blocksByPartition.get(p);
                    if (r.size() != layout.results().size() || !r.get(j).type().equals(pl.local()))
                        throw new Hlo4jException(pl.what() + ": the blocks of partition " + p + " are " + r.stream().map(HostArray::type).toList()
                                + "; " + pl.sharding() + " on " + n + " partitions needs " + pl.local(), entry.location());
                    blocks.add(r.get(j));
                }
                try {
                    results.add(SpmdRunner.assemble(blocks, pl.mesh(), pl.sharding(), pl.global()));
                } catch (ShardingException e) {
                    throw new ShardingException(pl.what() + ": " + e.getMessage(), entry.location());
                }
            }
            return List.copyOf(results);
        }

        private GlobalLayout globalLayout() {
            GlobalLayout l = layout;
            if (l == null) layout = l = GlobalLayout.of(module, entry, sig, partitions());
            return l;
        }

        /** One argument list per device (each that device's shards); returns each device's results. */
        public List<List<HostArray>> callPerDevice(List<List<HostArray>> perDevice) {
            List<PjrtDevice> ds = exeDevices;
            if (perDevice.size() != ds.size())
                throw new ArgumentMismatchException(perDevice.size() + " argument lists for a program on " + ds.size() + " devices", entry.location());
            int nargs = sig.inputs().size();
            for (int d = 0; d < perDevice.size(); d++)
                if (perDevice.get(d).size() != nargs)
                    throw new ArgumentMismatchException("device " + d + " got " + perDevice.get(d).size() + " arguments; the entry function takes " + nargs
                            + " " + sig.inputs(), entry.location());
            for (int d = 0; d < perDevice.size(); d++)
                for (int i = 0; i < nargs; i++)
                    if (perDevice.get(d).get(i) == null)
                        throw new ArgumentMismatchException("device " + d + "'s argument #" + i + " is null; the entry function expects "
                                + sig.inputs().get(i), entry.location());
            List<List<PjrtBuffer>> in = new ArrayList<>();
            List<List<PjrtBuffer>> out = List.of();
            inFlight.readLock().lock();
            try {
                checkOpen("its executables cannot be called");
                for (int d = 0; d < ds.size(); d++) {
                    List<PjrtBuffer> bs = new ArrayList<>();
                    in.add(bs);
                    for (HostArray a : perDevice.get(d)) bs.add(client.toDevice(HostArrays.toHostData(a), ds.get(d)));
                }
                out = exe.execute(in);
                List<List<HostArray>> results = new ArrayList<>();
                for (List<PjrtBuffer> device : out) {
                    List<HostArray> r = new ArrayList<>(device.size());
                    for (PjrtBuffer b : device) {
                        b.awaitReady();
                        r.add(HostArrays.toHostArray(b.toHost()));
                    }
                    results.add(List.copyOf(r));
                }
                return List.copyOf(results);
            } finally {
                try {
                    for (List<PjrtBuffer> bs : in) for (PjrtBuffer b : bs) b.close();
                    for (List<PjrtBuffer> bs : out) for (PjrtBuffer b : bs) b.close();
                } finally {
                    inFlight.readLock().unlock();
                    Reference.reachabilityFence(this);   // its cleaner must not close the executable under this call
                }
            }
        }
    }

    /**
     * Closes the client, then (for a job) leaves it: process 0 waits there for the others before it stops the coordinator.
     * Waits first for the compiles and calls in flight on other threads, without a time limit: a call stuck in the plugin
     * keeps close waiting as long (there is no safe way to destroy a client under a call that uses it). A compile or call
     * that starts after it throws {@link BackendClosedException}. A job's global call is waited for only while it runs on
     * the plugin: one then exchanging blocks with the other processes is not, and fails with the store's error once this
     * process has left the job. On a thread inside one of this backend's calls close is
     * refused; from any other thread it waits. A second close is an IllegalStateException, and so is closing the shared
     * instance {@link Backend#configured()} returns.
     */
    @Override public void close() {
        if (shared)
            throw new IllegalStateException("the configured backend (Backend.configured(), " + name + ") is shared; its close is refused:"
                    + " open your own PjrtBackend (PjrtBackend.open) to close it");
        if (inFlight.getReadHoldCount() > 0) throw new IllegalStateException("PjrtBackend.close() called from inside one of its own calls");
        inFlight.writeLock().lock();
        boolean wasOpen = !closed;
        try {
            if (!wasOpen) throw new IllegalStateException("the PJRT backend " + name + " is already closed");
            closed = true;
            client.close();
        } finally {
            inFlight.writeLock().unlock();
            if (job != null && wasOpen) job.close();
        }
    }

    @Override public String toString() { return "PjrtBackend[" + client.plugin() + ", devices " + devices.stream().map(PjrtDevice::id).toList() + "]"; }
}
