using System.Globalization;
using Ddnn.Bench.Serving;
using Ddnn.Core.Deploy;
using Ddnn.Core.Serving;

namespace Ddnn.Bench.Cli.Verbs;

/// <summary>
/// <c>ddnn serve devices</c>: a load generator for <c>ddnn bench serve</c>. It runs every device of several deployments
/// in one process, since a .NET process per device does not fit a small machine: each device is its own
/// <see cref="DeviceTier"/> with its own MQTT connection (<see cref="MqttTransport"/>), its own user
/// (<c>&lt;deployment&gt;-dev&lt;d&gt;</c>, <see cref="SharedBrokerAccess.UserOf"/>) and password file, and its own host
/// thread, exactly as a <c>ddnn serve device</c> process would be, so the broker sees one client per device.
/// </summary>
internal static class ServeDevicesRun
{
    public static int Run(CliArguments arguments, CliContext context)
    {
        var inv = CultureInfo.InvariantCulture;
        var names = arguments.GetOptionalString(ServeVerb.Deployments.Name)
            ?? throw new CliUsageException($"--{ServeVerb.Deployments.Name} <names> is required: the deployments whose devices this process runs, comma-separated");
        var credentials = arguments.GetOptionalString(ServeVerb.Credentials.Name)
            ?? throw new CliUsageException($"--{ServeVerb.Credentials.Name} <dir> is required: the folder of password files, one <deployment>-dev<d>.password per device");
        var deployments = new List<TopicScheme>();
        foreach (var name in names.Split(',', StringSplitOptions.TrimEntries))
        {
            TopicScheme topics;
            try
            {
                topics = new TopicScheme(name);
            }
            catch (ArgumentException e)
            {
                throw CliUsageException.BadValue(ServeVerb.Deployments.Name, names, $"'{name}': {CliApp.DescribeError(e)}");
            }
            if (deployments.Any(d => d.Deployment == name)) throw CliUsageException.BadValue(ServeVerb.Deployments.Name, names, $"'{name}' is given twice");
            deployments.Add(topics);
        }
        var broker = ServeVerb.ReadBroker(arguments);
        var (_, model) = ServeVerb.LoadModel(arguments);
        var fingerprint = ModelFingerprint.Of(model);
        // Every password first: a missing one is a usage error before anything connects.
        var passwords = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var topics in deployments)
            for (var d = 0; d < model.Devices.Length; d++)
            {
                var user = UserOf(topics, d);
                try
                {
                    passwords[user] = BrokerCredentials.ReadPassword(BrokerCredentials.PasswordFileOf(credentials, user))!;
                }
                catch (IOException e)
                {
                    throw new CliUsageException($"--{ServeVerb.Credentials.Name}: {e.Message}", e);
                }
            }
        var split = ServeVerb.LoadSplit(arguments, context, model);
        // One sensor per device index, shared by the deployments (a sensor only copies out of its own views).
        var sensors = Enumerable.Range(0, model.Devices.Length).Select(d => new DatasetSensor(split, d)).ToArray();
        split = null;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

        var inFlight = arguments.GetInt(ServeVerb.InFlight.Name);
        var devices = new List<Device>();
        foreach (var topics in deployments)
        {
            // A deployed model's partitions keep their own scratch and serve one call at a time: each deployment's
            // devices run on their own threads, so each deployment gets its own copy of the model.
            var copy = topics == deployments[0] ? model : ServeVerb.LoadModel(arguments).Model;
            for (var d = 0; d < model.Devices.Length; d++)
            {
                var id = new PartitionId(PartitionKind.Device, d);
                var user = UserOf(topics, d);
                var clock = new MonotonicClock();
                var device = new Device { Name = $"{topics.Deployment}/{id}", User = user };
                device.Transport = ServeVerb.Transport(new MqttTransportOptions
                {
                    Broker = broker,
                    UserName = user,
                    Password = passwords[user],
                    Describe = $"tier {id} of deployment {topics.Deployment}",
                    ClientId = $"ddnn-{topics.Deployment}-{id}-{Environment.ProcessId}-{Random.Shared.Next():x8}",
                    Will = new MqttWill(topics.Status(id), StatusMessage.Offline(fingerprint), Delivery.AtLeastOnce, Retain: true),
                    KeepAlive = TimeSpan.FromSeconds(arguments.GetInt(ServeVerb.KeepAlive.Name)),
                    TopicKind = ServedLinks.Classifier(topics, (uint)arguments.GetInt(ServeVerb.FirstSample.Name)),
                    Coalesce = !arguments.GetFlag(ServeVerb.NoBundles.Name),
                    CaFile = arguments.GetOptionalString(ServeVerb.CaFile.Name),
                }, (topic, payload) => device.Host?.Deliver(topic, payload));
                device.Tier = new DeviceTier(copy, d, fingerprint, topics, device.Transport, clock, sensors[d],
                    new DeviceSettings { Scores = ScoreEncodingOption.Read(arguments), KeptSamples = ServeVerb.CapsFor(inFlight).Samples },
                    line => { lock (context.Out) context.Out.WriteLine($"{topics.Deployment}/{line}"); });
                device.Host = TierHost.Over(device.Transport, device.Tier, clock, flush: () => device.Transport.Flush());
                device.PlaceholderRun = CodeWarmUp.PlaceholderRun(copy, id);
                devices.Add(device);
            }
        }

        var code = CliApp.ExitSuccess;
        var threads = new List<Thread>();
        try
        {
            try
            {
                Task.WhenAll(devices.Select(d => d.Transport.ConnectAsync(d.Tier.Subscriptions, context.Cancellation))).GetAwaiter().GetResult();
            }
            catch (BrokerConnectException e)
            {
                context.Error.WriteLine($"ddnn serve devices: {e.Message}");
                return CliApp.ExitFailure;
            }
            // Every device's partition, one after the other in each round; then all announce themselves.
            if (ServeVerb.WarmUpCode(arguments, context, "devices", () => { foreach (var device in devices) device.PlaceholderRun(); }) is null)
                return CliApp.ExitSuccess;
            foreach (var device in devices)
            {
                lock (context.Out) context.Out.WriteLine($"{device.Name}: connected as {device.User}, its own connection");
                device.Tier.Start();
                var thread = new Thread(() => device.Host.Run(context.Cancellation, () => device.Tier.Refusals.Count > 0)) { IsBackground = true, Name = device.Name };
                thread.Start();
                threads.Add(thread);
            }
            context.Out.WriteLine(string.Create(inv,
                $"devices: serving model {fingerprint.Short}: {devices.Count} devices of {deployments.Count} deployments ({string.Join(", ", deployments.Select(t => t.Deployment))}) via {broker} (pid {Environment.ProcessId}); Ctrl+C or SIGTERM stops them"));
            foreach (var thread in threads) thread.Join();
            foreach (var device in devices)
                if (device.Tier.Refusals.Count > 0)
                {
                    context.Error.WriteLine($"ddnn serve devices: wrong model fingerprint: {device.Name}: {device.Tier.Refusals[0]}");
                    code = CliApp.ExitFailure;
                }
        }
        finally
        {
            foreach (var device in devices) device.Tier.Stop();
            Task.WhenAll(devices.Select(d => d.Transport.DisconnectAsync(TimeSpan.FromSeconds(2)))).GetAwaiter().GetResult();
            foreach (var device in devices)
            {
                context.Out.WriteLine($"{device.Name}: stopped; {device.Tier.Counters}; transport: {device.Transport.DescribeCounters()}; host: handled {device.Host.Handled}, queue full {device.Host.Dropped}");
                device.Transport.DisposeAsync().AsTask().GetAwaiter().GetResult();
                device.Host.Dispose();
            }
        }
        return code;
    }

    private static string UserOf(TopicScheme topics, int device) =>
        SharedBrokerAccess.UserOf(topics.Deployment, AccessControlList.UserOf(new PartitionId(PartitionKind.Device, device)));

    private sealed class Device
    {
        public required string Name { get; init; }
        public required string User { get; init; }
        public MqttTransport Transport { get; set; } = null!;
        public DeviceTier Tier { get; set; } = null!;
        public TierHost Host { get; set; } = null!;
        public Action PlaceholderRun { get; set; } = null!;
    }
}
