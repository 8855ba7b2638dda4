using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Ddnn.Bench.Serving;
using Ddnn.Core.Deploy;
using Ddnn.Core.Runtime;
using Ddnn.Core.Serving;
using Ddnn.Training.Data;

namespace Ddnn.Bench.Cli.Verbs;

/// <summary>
/// <c>ddnn serve &lt;tier&gt;</c>: one tier of a deployed model as a process talking MQTT (device, local, edge, cloud),
/// an embedded broker alone (broker), or a whole deployment on this machine with every tier its own process (all).
/// </summary>
public sealed class ServeVerb : ICliVerb
{
    public const string VerbName = "serve";

    internal static readonly CliOption Tier = CliOption.Enum("tier", null, ["device", "local", "edge", "cloud", "all", "broker", "broker-config", "devices"],
        "what to run (also as the first word after 'serve'): one tier, a whole deployment on this machine, an embedded broker, write a deployment's broker credentials and ACL (broker-config), or every device of several deployments in one load-generator process (devices)");
    internal static readonly CliOption Model = CliOption.String("model", null, "export directory, deploy file (.ddnnp) or checkpoint (.ddnn); every tier must load the same model", valueName: "path");
    internal static readonly CliOption Broker = CliOption.String("broker", null, "MQTT broker, mqtt://host:port, or mqtts://host:port for TLS (all: without it, an embedded broker on 127.0.0.1, without TLS)", valueName: "address");
    internal static readonly CliOption CaFile = CliOption.String("ca-file", null, "with an mqtts:// broker: trust the certificate authorities in this PEM file (instead of the machine's) for the broker's certificate, which must also name the broker's host", valueName: "file");
    internal static readonly CliOption Deployment = CliOption.String("deployment", "ddnn", "deployment name: the topics are ddnn/<name>/...", valueName: "name");
    internal static readonly CliOption Device = CliOption.Int("device", null, "device: which device this process is", min: 0);
    internal static readonly CliOption Edge = CliOption.Int("edge", null, "edge: which edge this process is", min: 0);
    internal static readonly CliOption Split = CliOption.Enum("split", "test", ["train", "validation", "test"], "device, all: the data split the devices sense");
    internal static readonly CliOption Threshold = CliOption.Float("threshold", 0.8, "local exit when normalized entropy < T (unused by a model without a local exit)", min: 0);
    internal static readonly CliOption EdgeThreshold = CliOption.Float("edge-threshold", 0.8, "models with edges: edge-level exit when normalized entropy < T", min: 0);
    internal static readonly CliOption Scores = ScoreEncodingOption.Create(null, "encoding of the class scores devices send (default: as the model was exported)");
    internal static readonly CliOption Rate = CliOption.Float("rate", 0, "local, all: frame ticks per second (0: a new tick whenever an answer frees a slot)", min: 0);
    internal static readonly CliOption TickPeriod = CliOption.Float("tick-period-ms", 0, "local, all: with --rate, send ticks in frames at most this often, every sample due by then in one frame (0: each sample when due); latency counts from when a sample was due", min: 0);
    internal static readonly CliOption InFlight = CliOption.Int("in-flight", 1, "every tier: samples in flight at once; give every tier the aggregator's value (a device keeps, an edge or the cloud holds max(64, n) samples)", min: 1, max: 4096);
    internal static readonly CliOption Samples = CliOption.Int("samples", null, "local: samples to tick, then stop (default: until stopped); all: the whole split (capped by --limit)", min: 1);
    internal static readonly CliOption FirstSample = CliOption.Int("first-sample", 0, "local: id of the first measured sample (device views show split sample id mod count)", min: 0);
    internal static readonly CliOption WarmUp = CliOption.Int("warmup", null, "local, all: samples ticked (and not reported) before the measured ones (default: 0 for local, 20 for all)", min: 0);
    internal static readonly CliOption DeviceWait = CliOption.Float("device-wait-ms", new AggregatorSettings().DeviceWaitMs, "local: how long after a tick to wait for the devices' scores", min: 0);
    internal static readonly CliOption EdgeMapWait = CliOption.Float("edge-map-wait-ms", new AggregatorSettings().EdgeMapWaitMs, "local: how long the edges wait for their devices' maps", min: 0);
    internal static readonly CliOption EdgeScoreWait = CliOption.Float("edge-score-wait-ms", new AggregatorSettings().EdgeScoreWaitMs, "local: how much longer to wait for the edges' scores", min: 0);
    internal static readonly CliOption CloudWait = CliOption.Float("cloud-wait-ms", new AggregatorSettings().CloudWaitMs, "local: how long to wait for the cloud's answer before falling back", min: 0);
    internal static readonly CliOption MapWait = CliOption.Float("map-wait-ms", new FusionSettings().MapWaitMs, "edge, cloud: how long after a request to wait for the maps (with --cloud-workers: local, which gathers the maps for the workers)", min: 0);
    internal static readonly CliOption HoldMs = CliOption.Float("hold-ms", new FusionSettings().HoldMs, "edge, cloud: how long maps that came before their request are kept", min: 0);
    internal static readonly CliOption RunId = CliOption.Int("run-id", null, "local: the run id announced (default: a random one; messages of other runs are dropped)", min: 1);
    internal static readonly CliOption KeepAlive = CliOption.Int("keep-alive", 2, "MQTT keep-alive in seconds: a silent tier is declared gone (its will) after 1.5 times this", min: 1, max: 600);
    internal static readonly CliOption BrokerWait = CliOption.Float("broker-wait", 0, "device, local, edge, cloud: keep trying a broker that cannot be reached at start for up to this many seconds, once a second (0: give up at once); a refused password or certificate is never retried. Once connected, a tier always reconnects by itself", min: 0);
    internal static readonly CliOption NoBundles = CliOption.Flag("no-bundles", "every tier: send each message as its own MQTT publish (default: what a tier publishes to one topic in one pass goes as one bundle)");
    internal static readonly CliOption StartTimeout = CliOption.Float("start-timeout", 60, "local, all: seconds to wait for every tier to come online before ticking", min: 0);
    internal static readonly CliOption Answers = CliOption.String("answers", null, "local: write every measured answer to this CSV file", valueName: "file");
    internal static readonly CliOption Stats = CliOption.String("stats", null, "write this tier's counters to this JSON file when it stops", valueName: "file");
    internal static readonly CliOption Out = CliOption.String("out", null, "all: write summary.json, answers.csv and every tier's log and counters here; broker-config: write the credentials, mosquitto.passwd and mosquitto.acl here", valueName: "dir");
    internal static readonly CliOption Listen = CliOption.String("listen", null, "broker, all without --broker: where the embedded broker listens, address:port (default 127.0.0.1:1883 for broker, a free port for all); it binds only that address, 127.0.0.1 unless told otherwise", valueName: "address:port");
    internal static readonly CliOption User = CliOption.String("user", null, "device, local, edge, cloud: MQTT user name (default: the tier's name, e.g. dev2, local, edge0, cloud); needs a password", valueName: "name");
    internal static readonly CliOption PasswordFile = CliOption.String("password-file", null, $"device, local, edge, cloud: read the MQTT password from the first line of this file (else from ${BrokerCredentials.PasswordVariable}; neither: connect anonymously); never on the command line", valueName: "file");
    internal static readonly CliOption CloudWorkers = CliOption.Int("cloud-workers", 0, "every tier, broker-config, all: the cloud is this many worker processes sharing self-contained cloud requests through an MQTT 5 shared subscription (needs a broker that has them, e.g. mosquitto 2; the embedded broker has none); give every tier the same value (0: one cloud that gathers the maps itself)", min: 0, max: TopicScheme.MaxCloudWorkers);
    internal static readonly CliOption Worker = CliOption.Int("worker", null, "cloud with --cloud-workers n: which worker this process is, 0..n-1 (worker k is tier cloud<k>, worker 0 plain cloud)", min: 0);
    internal static readonly CliOption RateSteps = CliOption.String("rate-steps", null, "local: tick at each of these rates in turn (samples/s, comma-separated, rising) for --step-seconds each, from --first-sample; instead of --rate and --samples (ddnn bench serve)", valueName: "r1,r2,...");
    internal static readonly CliOption StepSeconds = CliOption.Float("step-seconds", 5, "local with --rate-steps: seconds of ticking per step", min: 0.001);
    internal static readonly CliOption StepGap = CliOption.Float("step-gap-seconds", 1, "local with --rate-steps: seconds between steps, for the last answers of a step to come in", min: 0);
    internal static readonly CliOption CodeWarmUpOption = CliOption.Float("code-warmup", 3, "device, local, edge, cloud, devices: before announcing itself, run the tier's partition on placeholder inputs until the JIT has compiled its hot code, for at most this many seconds (0: skip; the first few dozen samples then run unoptimized code)", min: 0, max: 600, valueName: "seconds");
    internal static readonly CliOption TickPhase = CliOption.Float("tick-phase", 0, "local with --rate-steps: start each step this fraction of its tick interval (1/rate) late, 0 up to 1; bench serve gives deployment j of K the phase j/K, so that independent deployments do not tick at the same instants", min: 0, max: 0.999999);
    internal static readonly CliOption GoFile = CliOption.String("go-file", null, "local with --rate-steps: after the warm-up print 'local: ready' and wait for this file, which holds the Unix time in ms at which step 0 starts (so that several deployments step together)", valueName: "file");
    internal static readonly CliOption Deployments = CliOption.String("deployments", null, "devices: the deployments whose devices this process runs, comma-separated; device d of deployment X connects as user X-dev<d> with the password file <credentials>/X-dev<d>.password", valueName: "names");
    internal static readonly CliOption Credentials = CliOption.String("credentials", null, "all with --broker: the folder broker-config wrote, whose password files the tiers connect with; broker: enforce its mosquitto.passwd and the ACL of --model (without it the broker lets anyone in; all without --broker always generates and enforces a fresh set)", valueName: "dir");

    public string Name => VerbName;
    public string Summary => "serve a deployed model over MQTT: one tier per process (device|local|edge|cloud), a whole deployment (all) or a broker";

    public IReadOnlyList<CliOption> Options { get; } =
    [
        Tier, Model, Broker, Deployment, Device, Edge, .. ExperimentOptions.DataOptions, Split, Threshold, EdgeThreshold, Scores, Rate, TickPeriod, InFlight,
        Samples, FirstSample, WarmUp, DeviceWait, EdgeMapWait, EdgeScoreWait, CloudWait, MapWait, HoldMs, RunId, KeepAlive, BrokerWait, NoBundles, StartTimeout, Answers, Stats, Out,
        Listen, User, PasswordFile, Credentials, CaFile, CloudWorkers, Worker, RateSteps, StepSeconds, StepGap, TickPhase, GoFile, Deployments, CodeWarmUpOption,
    ];

    /// <summary><c>ddnn serve device ...</c> is <c>ddnn serve --tier device ...</c>.</summary>
    public static IReadOnlyList<string> AcceptPositionalTier(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var verbAt = 0;
        while (verbAt < args.Count && args[verbAt] == "--verbose") verbAt++;
        if (verbAt + 1 >= args.Count || args[verbAt] != VerbName || args[verbAt + 1].StartsWith('-')) return args;
        return [.. args.Take(verbAt + 1), "--" + Tier.Name, .. args.Skip(verbAt + 1)];
    }

    public int Run(CliArguments arguments, CliContext context)
    {
        var tier = arguments.HasValue(Tier.Name) ? arguments.GetEnum(Tier.Name) : throw new CliUsageException("say what to serve: ddnn serve device|local|edge|cloud|all|broker|broker-config|devices");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.Cancellation);
        // SIGTERM stops the tier as Ctrl+C does: a clean disconnect and the last line of counters.
        using var onTerm = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            stop.Cancel();
        });
        var served = context with { Cancellation = stop.Token };
        return tier switch
        {
            "broker" => RunBroker(arguments, served),
            "broker-config" => RunBrokerConfig(arguments, served),
            "all" => ServeAllRun.Run(arguments, served),
            "devices" => ServeDevicesRun.Run(arguments, served),
            _ => RunTier(tier, arguments, served),
        };
    }

    private static int RunBroker(CliArguments arguments, CliContext context)
    {
        var (bind, port) = ReadListen(arguments, defaultPort: BrokerAddress.DefaultPort);
        BrokerAuthorization? authorization = null;
        RefuseCloudWorkers(arguments, "serve broker");
        if (arguments.GetOptionalString(Credentials.Name) is { } directory)
        {
            var (_, model) = LoadModel(arguments);
            authorization = ReadAuthorization(directory, AccessControlList.For(ReadTopics(arguments), model));
        }
        var broker = StartBroker(bind, port, authorization);
        try
        {
            context.Out.WriteLine(authorization is null
                ? $"embedded MQTT broker listening at {broker.Address}, anonymous clients allowed (no --credentials); Ctrl+C or SIGTERM stops it"
                : $"embedded MQTT broker listening at {broker.Address}, {authorization.PasswordHashes.Count} users, ACL of deployment '{authorization.Acl.Topics.Deployment}'; Ctrl+C or SIGTERM stops it");
            context.Cancellation.WaitHandle.WaitOne();
        }
        finally
        {
            broker.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        context.Out.WriteLine("broker stopped");
        return CliApp.ExitSuccess;
    }

    /// <summary>
    /// <c>ddnn serve broker-config</c>: a fresh credential set for one deployment (a password per tier and for the
    /// monitor) with the mosquitto password file, ACL file and config lines, all in <c>--out</c>.
    /// </summary>
    private static int RunBrokerConfig(CliArguments arguments, CliContext context)
    {
        var directory = arguments.GetOptionalString(Out.Name) ?? throw new CliUsageException("--out <dir> is required: where to write the credentials and the mosquitto files");
        if (File.Exists(directory)) throw new CliUsageException($"--out '{directory}' is a file, not a folder");
        var (_, model) = LoadModel(arguments);
        var credentials = BrokerCredentials.Generate(AccessControlList.For(ReadTopics(arguments), model));
        credentials.WriteTo(directory);
        var full = Path.GetFullPath(directory);
        context.Out.WriteLine($"wrote credentials of deployment '{credentials.Acl.Topics.Deployment}' for {string.Join(", ", credentials.Acl.Users)} to {full}");
        context.Out.WriteLine($"mosquitto: add the lines of {Path.Combine(full, BrokerCredentials.ConfigFileName)} to its config; a tier: --password-file {BrokerCredentials.PasswordFileOf(full, "<tier>")}");
        return CliApp.ExitSuccess;
    }

    /// <summary>The checks the embedded broker enforces: the users and password hashes of the credentials folder's <c>mosquitto.passwd</c>, and <paramref name="acl"/>.</summary>
    internal static BrokerAuthorization ReadAuthorization(string directory, AccessControlList acl)
    {
        var path = Path.Combine(directory, BrokerCredentials.PasswordFileName);
        try
        {
            return new BrokerAuthorization(MosquittoPasswordFile.Parse(File.ReadAllText(path)), acl);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw CliUsageException.CannotUse("read", path, e);
        }
    }

    /// <summary>Starts the embedded broker; a port in use is a one-line usage error naming it.</summary>
    internal static EmbeddedBroker StartBroker(IPAddress bind, int port, BrokerAuthorization? authorization = null)
    {
        try
        {
            return EmbeddedBroker.StartAsync(bind, port, authorization).GetAwaiter().GetResult();
        }
        catch (IOException e)
        {
            throw new CliUsageException(e.Message, e);
        }
    }

    internal static (IPAddress Bind, int Port) ReadListen(CliArguments arguments, int defaultPort)
    {
        var text = arguments.GetOptionalString(Listen.Name);
        if (text is null) return (IPAddress.Loopback, defaultPort);
        if (!IPEndPoint.TryParse(text, out var endpoint) || !text.Contains(':', StringComparison.Ordinal))
            throw CliUsageException.BadValue(Listen.Name, text, "expected an IP address and a port, e.g. 127.0.0.1:1883");
        return (endpoint.Address, endpoint.Port);
    }

    internal static BrokerAddress ReadBroker(CliArguments arguments)
    {
        var text = arguments.GetOptionalString(Broker.Name) ?? throw new CliUsageException("--broker mqtt://host:port is required");
        try
        {
            return BrokerAddress.Parse(text);
        }
        catch (FormatException e)
        {
            throw CliUsageException.BadValue(Broker.Name, text, e.Message);
        }
    }

    /// <summary>
    /// A usage error when <c>--cloud-workers</c> is set: the embedded broker (MQTTnet.Server 5.2) has no MQTT 5 shared
    /// subscriptions, so cloud workers need an outside broker that has them.
    /// </summary>
    internal static void RefuseCloudWorkers(CliArguments arguments, string what)
    {
        if (arguments.GetInt(CloudWorkers.Name) > 0)
            throw new CliUsageException($"{what}: --cloud-workers needs a broker with MQTT 5 shared subscriptions (e.g. mosquitto 2, given with --broker); the embedded MQTTnet broker has none");
    }

    internal static TopicScheme ReadTopics(CliArguments arguments)
    {
        var name = arguments.GetString(Deployment.Name);
        try
        {
            return new TopicScheme(name, arguments.GetInt(CloudWorkers.Name));
        }
        catch (ArgumentException e)
        {
            throw CliUsageException.BadValue(Deployment.Name, name, CliApp.DescribeError(e));
        }
    }

    internal static (string Path, DeployedModel Model) LoadModel(CliArguments arguments)
    {
        var path = arguments.GetOptionalString(Model.Name) ?? throw new CliUsageException("--model <path> is required");
        try
        {
            return (path, DeployedModelLoader.Load(path));
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or ArgumentException)
        {
            throw CliUsageException.CannotUse("load", path, e);
        }
    }

    internal static MultiViewDataset LoadSplit(CliArguments arguments, CliContext context, DeployedModel model)
    {
        var (_, splits) = ExperimentOptions.Load(arguments, context);
        var split = arguments.GetEnum(Split.Name) switch { "train" => splits.Train, "validation" => splits.Validation, _ => splits.Test };
        InferVerb.CheckCompatible(model, split);
        if (split.Count == 0) throw new CliUsageException($"the {split.Name} split is empty");
        return split;
    }

    /// <summary>
    /// Device <paramref name="device"/>'s sensor over the chosen split. The data set it copies its views from is
    /// collected here, before the tier serves: left to the GC later, it cost the served path its latency tail.
    /// </summary>
    private static DatasetSensor LoadSensor(CliArguments arguments, CliContext context, DeployedModel model, int device)
    {
        var sensor = new DatasetSensor(LoadSplit(arguments, context, model), device);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return sensor;
    }

    internal static AggregatorSettings ReadAggregator(CliArguments arguments, uint runId) => new()
    {
        LocalThreshold = arguments.GetFloat(Threshold.Name),
        EdgeThreshold = arguments.GetFloat(EdgeThreshold.Name),
        DeviceWaitMs = arguments.GetFloat(DeviceWait.Name),
        EdgeMapWaitMs = arguments.GetFloat(EdgeMapWait.Name),
        EdgeScoreWaitMs = arguments.GetFloat(EdgeScoreWait.Name),
        CloudWaitMs = arguments.GetFloat(CloudWait.Name),
        // With cloud workers the aggregator waits for the maps, as the one cloud does otherwise.
        CloudMapWaitMs = arguments.GetFloat(MapWait.Name),
        RunId = runId,
        MaxInFlight = arguments.GetInt(InFlight.Name),
        TickPeriodMs = arguments.GetFloat(TickPeriod.Name),
    };

    /// <summary>The thread-pool setting a served process runs with: workers that run out of work sleep at once.</summary>
    internal const string SpinLimitSetting = "System.Threading.ThreadPool.UnfairSemaphoreSpinLimit";

    /// <summary>
    /// Stops idle thread-pool workers from spinning (<c>sched_yield</c>) before they sleep. A served tier wakes a worker
    /// for every message it receives and sends, and on a 2-core VM that spinning was most of every tier's CPU
    /// (docs/serving.md); the kernels' short <c>Parallel.For</c> splits need the spin, so only <c>ddnn serve</c> turns it
    /// off. The pool reads the setting when it first starts a worker: call this before anything queues work to it.
    /// </summary>
    public static void ConfigureThreadPool() => AppContext.SetData(SpinLimitSetting, 0);

    private static int RunTier(string kind, CliArguments arguments, CliContext context)
    {
        var broker = ReadBroker(arguments);
        var topics = ReadTopics(arguments);
        var (_, model) = LoadModel(arguments);
        var fingerprint = ModelFingerprint.Of(model);
        var id = kind switch
        {
            "device" => new PartitionId(PartitionKind.Device, RequiredIndex(arguments, Device, model.Devices.Length, "devices")),
            "edge" => new PartitionId(PartitionKind.Edge, RequiredIndex(arguments, Edge, model.Edges.Length, "edges")),
            "local" => new PartitionId(PartitionKind.Local),
            _ => new PartitionId(PartitionKind.Cloud, topics.HasCloudWorkers ? RequiredIndex(arguments, Worker, topics.CloudWorkers, "cloud workers (--cloud-workers)") : 0),
        };
        if (arguments.IsSet(Worker.Name) && !(kind == "cloud" && topics.HasCloudWorkers))
            throw new CliUsageException("--worker names a cloud worker: it goes with serve cloud and --cloud-workers n");
        var (user, password) = ReadCredentials(arguments, id);
        var clock = new MonotonicClock();
        TierHost? host = null;
        var transport = Transport(new MqttTransportOptions
        {
            Broker = broker,
            UserName = password is null ? null : user,
            Password = password,
            Describe = $"tier {id}",
            ClientId = $"ddnn-{topics.Deployment}-{id}-{Environment.ProcessId}-{Random.Shared.Next():x8}",
            Will = new MqttWill(topics.Status(id), StatusMessage.Offline(fingerprint), Delivery.AtLeastOnce, Retain: true),
            KeepAlive = TimeSpan.FromSeconds(arguments.GetInt(KeepAlive.Name)),
            TopicKind = ServedLinks.Classifier(topics, (uint)arguments.GetInt(FirstSample.Name)),
            Coalesce = !arguments.GetFlag(NoBundles.Name),
            CaFile = arguments.GetOptionalString(CaFile.Name),
        }, (topic, payload) => host?.Deliver(topic, payload));
        var log = new Action<string>(line => context.Out.WriteLine(line));
        var sensor = id.Kind == PartitionKind.Device ? LoadSensor(arguments, context, model, id.Index) : null;
        LocalRun? local = null;
        ServingTier tier;
        switch (id.Kind)
        {
            case PartitionKind.Device:
                tier = new DeviceTier(model, id.Index, fingerprint, topics, transport, clock, sensor!,
                    new DeviceSettings { Scores = ScoreEncodingOption.Read(arguments), KeptSamples = CapsFor(arguments.GetInt(InFlight.Name)).Samples }, log);
                break;
            case PartitionKind.Edge:
                tier = new EdgeTier(model, id.Index, fingerprint, topics, transport, clock, ReadFusion(arguments), log);
                break;
            case PartitionKind.Cloud when topics.HasCloudWorkers:
                tier = new CloudWorkerTier(model, id.Index, fingerprint, topics, transport, clock, ReadFusion(arguments), log);
                break;
            case PartitionKind.Cloud:
                tier = new CloudTier(model, fingerprint, topics, transport, clock, ReadFusion(arguments), log);
                break;
            default:
                var runId = arguments.GetOptionalInt(RunId.Name) is { } given ? (uint)given : (uint)Random.Shared.Next(1, int.MaxValue);
                var aggregator = new LocalAggregatorTier(model, fingerprint, topics, transport, clock, ReadAggregator(arguments, runId), log);
                local = new LocalRun(aggregator, arguments, context);
                tier = aggregator;
                break;
        }
        host = TierHost.Over(transport, tier, clock, flush: () =>
        {
            transport.Flush();
            local?.FlushAnswers();
        });
        try
        {
            var wait = TimeSpan.FromSeconds(arguments.GetFloat(BrokerWait.Name));
            var waited = System.Diagnostics.Stopwatch.StartNew();
            TimeSpan? saidAt = null;
            transport.ConnectAsync(tier.Subscriptions, wait, TimeSpan.FromSeconds(1), e =>
            {
                // One line when the wait starts and one every ten seconds, not one per attempt.
                if (saidAt is { } said && waited.Elapsed - said < TimeSpan.FromSeconds(10)) return;
                saidAt = waited.Elapsed;
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{id}: {e.Message}; trying again for {Math.Max(0, (wait - waited.Elapsed).TotalSeconds):0} s more (--{BrokerWait.Name})"));
            }, context.Cancellation).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
        {
            context.Out.WriteLine($"{id}: stopped while waiting for the broker at {broker}");
            return CliApp.ExitSuccess;
        }
        catch (BrokerConnectException e)
        {
            context.Error.WriteLine($"ddnn serve {kind}: {e.Message}");
            return CliApp.ExitFailure;
        }
        // Connected first, so that an unreachable broker is reported at once; announced after, so that the peers
        // count this tier online only once its code is compiled.
        if (WarmUpCode(arguments, context, $"{id}", CodeWarmUp.PlaceholderRun(model, id)) is null) return CliApp.ExitSuccess;
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{id}: serving model {fingerprint.Short} as deployment '{topics.Deployment}' via {broker} (pid {Environment.ProcessId})"));
        tier.Start();
        var code = CliApp.ExitSuccess;
        try
        {
            bool Refused() => tier.Refusals.Count > 0;
            if (local is not null) code = local.Run(host, Refused);
            else host.Run(context.Cancellation, Refused);
            if (tier.Refusals.Count > 0)
            {
                context.Error.WriteLine($"ddnn serve {kind}: wrong model fingerprint: {tier.Refusals[0]}");
                code = CliApp.ExitFailure;
            }
        }
        finally
        {
            tier.Stop();
            transport.DisconnectAsync(TimeSpan.FromSeconds(2)).GetAwaiter().GetResult();
            local?.Dispose();
            context.Out.WriteLine($"{id}: stopped; {tier.Counters}; transport: {transport.DescribeCounters()}; host: handled {host.Handled}, queue full {host.Dropped}, timers {host.Timers}");
            if (arguments.GetOptionalString(Stats.Name) is { } statsPath) TierStats.Of(tier, transport, host).Write(statsPath);
            transport.DisposeAsync().AsTask().GetAwaiter().GetResult();
            host.Dispose();
        }
        return code;
    }

    /// <summary>A transport; a CA file that cannot be used is a one-line usage error naming it.</summary>
    internal static MqttTransport Transport(MqttTransportOptions options, Action<string, byte[]> onMessage)
    {
        try
        {
            return new MqttTransport(options, onMessage);
        }
        catch (Exception e) when (e is IOException or ArgumentException)
        {
            throw new CliUsageException($"--{CaFile.Name}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The user name (<c>--user</c>, else the tier's name) and password (<c>--password-file</c>, else the environment
    /// variable, else none: anonymous) tier <paramref name="id"/> connects with. Passwords are never read from the
    /// command line, where other users of the machine could read them.
    /// </summary>
    private static (string User, string? Password) ReadCredentials(CliArguments arguments, PartitionId id)
    {
        var user = arguments.GetOptionalString(User.Name) ?? AccessControlList.UserOf(id);
        string? password;
        try
        {
            password = BrokerCredentials.ReadPassword(arguments.GetOptionalString(PasswordFile.Name));
        }
        catch (IOException e)
        {
            throw new CliUsageException($"--{PasswordFile.Name}: {e.Message}", e);
        }
        if (password is null && arguments.HasValue(User.Name))
            throw new CliUsageException($"--user {user} needs a password: --{PasswordFile.Name} <file> or ${BrokerCredentials.PasswordVariable}");
        return (user, password);
    }

    private static FusionSettings ReadFusion(CliArguments arguments)
    {
        var (samples, behind) = CapsFor(arguments.GetInt(InFlight.Name));
        return new() { MapWaitMs = arguments.GetFloat(MapWait.Name), HoldMs = arguments.GetFloat(HoldMs.Name), MaxSamples = samples, BehindWindow = behind };
    }

    /// <summary>
    /// What a device keeps (<see cref="DeviceSettings.KeptSamples"/>) and an edge or the cloud holds
    /// (<see cref="FusionSettings.MaxSamples"/>) and looks back (<see cref="FusionSettings.BehindWindow"/>) with
    /// <paramref name="inFlight"/> samples in flight: the defaults, or enough for every sample in flight, since a request
    /// may name the oldest of them.
    /// </summary>
    public static (int Samples, uint BehindWindow) CapsFor(int inFlight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFlight, 1);
        var fusion = new FusionSettings();
        return (Math.Max(Math.Max(new DeviceSettings().KeptSamples, fusion.MaxSamples), inFlight), Math.Max(fusion.BehindWindow, (uint)inFlight));
    }

    private static int RequiredIndex(CliArguments arguments, CliOption option, int count, string what)
    {
        var index = arguments.GetOptionalInt(option.Name) ?? throw new CliUsageException($"--{option.Name} <i> is required: which of the model's {count} {what} this process is");
        if (index >= count)
            throw CliUsageException.BadValue(option.Name, index.ToString(CultureInfo.InvariantCulture),
                count == 0 ? $"the model has no {what}" : $"the model has {what} 0..{count - 1}");
        return index;
    }

    /// <summary>The line a local aggregator with <c>--rate-steps</c> prints when its warm-up is done.</summary>
    internal const string LocalReadyLine = LocalRun.ReadyLine;

    /// <summary>Start of a ladder aggregator's line after each step.</summary>
    internal const string LocalStepPrefix = LocalRun.StepPrefix;

    /// <summary>Start of the local aggregator's last line about the measured samples: "<prefix><n> answers in <seconds> s".</summary>
    internal const string MeasuredPrefix = "local: measured window: ";

    /// <summary>The local aggregator's run: wait for the peers, tick the warm-up, then the measured samples; write the answers.</summary>
    /// <summary>
    /// Runs <see cref="CodeWarmUp"/> for <c>--code-warmup</c> seconds and says how it went on one line; null when
    /// stopped (Ctrl-C) during it.
    /// </summary>
    internal static CodeWarmUp.Outcome? WarmUpCode(CliArguments arguments, CliContext context, string who, Action placeholderRun)
    {
        var outcome = CodeWarmUp.Run(placeholderRun, TimeSpan.FromSeconds(arguments.GetFloat(CodeWarmUpOption.Name)), context.Cancellation);
        if (context.Cancellation.IsCancellationRequested) return null;
        if (outcome.Runs > 0) context.Out.WriteLine($"{who}: {outcome}");
        return outcome;
    }

    private sealed class LocalRun : IDisposable
    {
        private readonly LocalAggregatorTier _tier;
        private readonly CliContext _context;
        private readonly long? _samples;
        private readonly int _warmUp;
        private readonly uint _first;
        private readonly double _rate, _startTimeout;
        private readonly StreamWriter? _answers;
        private readonly string? _answersPath;
        private string? _answersError;
        private long _answered, _givenUp, _answeredTwice;
        private readonly System.Diagnostics.Stopwatch _window = new();
        private readonly LoadLadder? _ladder;
        private readonly double _tickPhase;
        private readonly string? _goFile;
        private double _lastAnswerSeconds;
        // Id + 1 of the last answer per id mod the size (0: none): exactly-once is checked over a window far wider than
        // any in-flight count, in bounded memory however long the run.
        private readonly long[] _recent = new long[1 << 16];

        public LocalRun(LocalAggregatorTier tier, CliArguments arguments, CliContext context)
        {
            _tier = tier;
            _context = context;
            _samples = arguments.GetOptionalInt(Samples.Name);
            _warmUp = arguments.GetOptionalInt(WarmUp.Name) ?? 0;
            _first = (uint)arguments.GetInt(FirstSample.Name);
            if (_first < _warmUp) throw CliUsageException.BadValue(FirstSample.Name, _first.ToString(CultureInfo.InvariantCulture), $"the warm-up ticks ids 0..{_warmUp - 1}, so the measured samples must start at {_warmUp} or later");
            _rate = arguments.GetFloat(Rate.Name);
            _startTimeout = arguments.GetFloat(StartTimeout.Name);
            if (arguments.GetOptionalString(RateSteps.Name) is { } steps)
            {
                if (arguments.IsSet(Rate.Name) || _samples is not null) throw new CliUsageException($"--{RateSteps.Name} sets the rates and the samples: give it without --{Rate.Name} and --{Samples.Name}");
                try
                {
                    _ladder = new LoadLadder(LoadLadder.ParseRates(steps), arguments.GetFloat(StepSeconds.Name), arguments.GetFloat(StepGap.Name), _first);
                }
                catch (Exception e) when (e is FormatException or ArgumentException)
                {
                    throw CliUsageException.BadValue(RateSteps.Name, steps, e.Message);
                }
                _goFile = arguments.GetOptionalString(GoFile.Name);
                _tickPhase = arguments.GetFloat(TickPhase.Name);
            }
            else if (arguments.IsSet(GoFile.Name) || arguments.IsSet(TickPhase.Name))
                throw new CliUsageException($"--{GoFile.Name} and --{TickPhase.Name} go with --{RateSteps.Name}");
            if (arguments.GetOptionalString(Answers.Name) is { } path)
            {
                _answersPath = path;
                // Flushed whenever the host has nothing left to handle (FlushAnswers), not per line: the answers are
                // also how a drill (or a person) follows a running deployment, and a flush per answer was a write
                // call per sample on the busiest tier.
                _answers = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false), 1 << 16);
                _answers.WriteLine(AnswerFile.Header);
            }
            tier.Answered = OnAnswer;
        }

        public int Run(TierHost host, Func<bool> refused)
        {
            var stop = _context.Cancellation;
            var waited = System.Diagnostics.Stopwatch.StartNew();
            host.Run(stop, () => refused() || _tier.AllPeersAnnounced || waited.Elapsed.TotalSeconds >= _startTimeout);
            if (stop.IsCancellationRequested || refused()) return CliApp.ExitSuccess;
            if (!_tier.AllPeersAnnounced)
            {
                var missing = _tier.Topics.Tiers(_tier.Model).Where(p => p != _tier.Id && !_tier.HasAnnounced(p));
                _context.Out.WriteLine($"local: starting without {string.Join(", ", missing)} (not online after {_startTimeout} s)");
            }
            if (_warmUp > 0)
            {
                _tier.Schedule(0, _warmUp, _rate);
                host.Run(stop, () => refused() || _tier.ScheduleDone);
                if (stop.IsCancellationRequested || refused()) return CliApp.ExitSuccess;
            }
            if (_ladder is not null) return RunLadder(host, refused, _ladder);
            _answered = _givenUp = 0;
            var total = _samples ?? LocalAggregatorTier.IdsFrom(_first);
            _context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"local: run {_tier.RunId}: ticking {(_samples is { } n ? n.ToString(CultureInfo.InvariantCulture) : "endless")} samples from id {_first} at {(_rate > 0 ? $"{_rate} samples/s" : "the pace of the answers")}, {_tier.Settings.MaxInFlight} in flight"));
            _tier.Schedule(_first, total, _rate);
            _window.Start();
            var progressAt = System.Diagnostics.Stopwatch.StartNew();
            host.Run(stop, () =>
            {
                if (progressAt.Elapsed.TotalSeconds >= 2)
                {
                    progressAt.Restart();
                    _context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"progress: answered {_answered}{(_samples is { } all ? $" of {all}" : "")}{(_givenUp > 0 ? $", given up {_givenUp}" : "")}"));
                }
                return refused() || _tier.ScheduleDone || _answersError is not null;
            });
            if (_answersError is not null)
            {
                _context.Error.WriteLine($"ddnn serve local: cannot write the answers to '{_answersPath}': {_answersError}");
                return CliApp.ExitFailure;
            }
            // The measured window, first measured tick to last measured answer: what `serve all` divides by, so that
            // process start, connects and the warm-up do not count.
            _context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{MeasuredPrefix}{_answered} answers in {_lastAnswerSeconds:0.######} s"));
            return CliApp.ExitSuccess;
        }

        /// <summary>Start of the line the aggregator prints when its warm-up is done and it waits for the go file.</summary>
        internal const string ReadyLine = "local: ready";

        /// <summary>Start of the line the aggregator prints after each step of a ladder: "local: step i: n answers of m in s s, started d ms late, g given up" (n and g together are m: a sample given up has no tier's answer; s runs to the last of them).</summary>
        internal const string StepPrefix = "local: step ";

        /// <summary>
        /// The ladder: step i starts at the go time plus <see cref="LoadLadder.StartOf"/> (or when step i − 1 has its
        /// last answer, if that is later) and ticks its samples at its rate; one line per step says what came back when.
        /// </summary>
        private int RunLadder(TierHost host, Func<bool> refused, LoadLadder ladder)
        {
            var stop = _context.Cancellation;
            var inv = CultureInfo.InvariantCulture;
            _context.Out.WriteLine(ReadyLine);
            long goMs = 0;
            if (_goFile is null) goMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            else host.Run(stop, () => refused() || TryReadGo(_goFile, out goMs));
            for (var i = 0; i < ladder.Count && !stop.IsCancellationRequested && !refused(); i++)
            {
                var startMs = goMs + ladder.StartOf(i, _tickPhase) * 1000;
                host.Run(stop, () => refused() || UnixNowMs() >= startMs, TimeSpan.FromMilliseconds(Math.Max(0, startMs - UnixNowMs())));
                if (stop.IsCancellationRequested || refused()) break;
                var late = UnixNowMs() - startMs;
                _answered = _givenUp = 0;
                _lastAnswerSeconds = 0;
                _window.Restart();
                _tier.Schedule(ladder.FirstIdOf(i), ladder.SamplesOf(i), ladder.Rates[i]);
                host.Run(stop, () => refused() || _tier.ScheduleDone || _answersError is not null);
                if (_answersError is not null)
                {
                    _context.Error.WriteLine($"ddnn serve local: cannot write the answers to '{_answersPath}': {_answersError}");
                    return CliApp.ExitFailure;
                }
                _context.Out.WriteLine(string.Create(inv, $"{StepPrefix}{i}: {_answered} answers of {ladder.SamplesOf(i)} in {_lastAnswerSeconds:0.######} s, started {late:0} ms late, {_givenUp} given up"));
            }
            return CliApp.ExitSuccess;
        }

        private static double UnixNowMs() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

        private static bool TryReadGo(string path, out long goMs)
        {
            goMs = 0;
            string text;
            try
            {
                if (!File.Exists(path)) return false;
                text = File.ReadAllText(path).Trim();
            }
            catch (IOException)
            {
                return false;
            }
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out goMs))
                throw new CliUsageException($"--{GoFile.Name} '{path}': expected the Unix time in milliseconds, found '{text}'");
            return true;
        }

        private void OnAnswer(CascadeOutcome outcome)
        {
            if (outcome.Sample < _first)
            {
                // Warm-up answers are formatted and thrown away, so that the line's formatting code (enum names,
                // number formats) is compiled before the measured samples: compiled at the first measured answer,
                // it held the aggregator up, and at 20,000/s the first 1,000-2,000 answers of a run came 10-40 ms late.
                if (_answers is not null) AnswerFile.WriteLine(TextWriter.Null, outcome);
                return;
            }
            ref var recent = ref _recent[outcome.Sample & (_recent.Length - 1)];
            if (recent == outcome.Sample + 1) _answeredTwice++;
            recent = outcome.Sample + 1;
            // A sample given up (no tier could answer in time) ends the window like an answer but is not one.
            if (outcome.Tier == ExitTier.None) _givenUp++;
            else _answered++;
            _lastAnswerSeconds = _window.Elapsed.TotalSeconds;
            if (_answers is null || _answersError is not null) return;
            // Called from inside the tier: a full disk must stop the run with one line, not throw through the tier.
            try { AnswerFile.WriteLine(_answers, outcome); }
            catch (IOException e) { _answersError = e.Message; }
        }

        /// <summary>Writes out the buffered answers; called by the host whenever its queue runs empty.</summary>
        public void FlushAnswers()
        {
            if (_answers is null || _answersError is not null) return;
            try { _answers.Flush(); }
            catch (IOException e) { _answersError = e.Message; }
        }

        public void Dispose()
        {
            if (_answeredTwice > 0) _context.Error.WriteLine($"local: {_answeredTwice} samples answered twice");
            try { _answers?.Dispose(); }
            catch (IOException) when (_answersError is not null) { } // already reported
        }
    }
}
