using System.Buffers.Binary;
using System.Diagnostics;
using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;
using Ddnn.TestSupport;

namespace Ddnn.Bench.Tests.Serving;

/// <summary>
/// A tiny trained run exported into deploy files, seeded views for its devices, and the NativeAOT device host
/// (tests/Ddnn.PackageConsumer) published once from freshly packed engine packages by its publish.sh.
/// </summary>
public sealed class PublishedDeviceHost : IDisposable
{
    /// <summary>Bound on packing the engine and publishing the host (about a minute on two free cores).</summary>
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(8);

    private readonly TrainedRun _run = new();
    private readonly TempDirectory _directory = new();
    private readonly Lazy<(string? Host, string Log)> _published;

    public PublishedDeviceHost()
    {
        Assert.True(_run.Result.Code == 0, _run.Result.ToString());
        ExportDirectory = _directory.Combine("export");
        DdnnCli.Succeed("export", "--model", _run.ModelPath, "--out", ExportDirectory);
        Model = DeployedModelLoader.Load(ExportDirectory);
        _published = new(Publish);
    }

    public string ExportDirectory { get; }
    public DeployedModel Model { get; }

    /// <summary>The deploy file of device <paramref name="device"/> alone.</summary>
    public string DevicePath(int device) => Path.Combine(ExportDirectory, new PartitionId(PartitionKind.Device, device) + DeployedModelLoader.Extension);

    /// <summary>A fresh scratch path.</summary>
    public string Scratch(string name) => _directory.Combine(name + "-" + Guid.NewGuid().ToString("N"));

    /// <summary>The published host; fails the test with the publish output when it could not be published.</summary>
    public string Host
    {
        get
        {
            var (host, log) = _published.Value;
            Assert.True(host is not null, $"the NativeAOT device host did not publish (needs clang or clang-14 on PATH and the ILCompiler package from the NuGet source; .ci/test installs clang):\n{log}");
            return host!;
        }
    }

    private (string? Host, string Log) Publish()
    {
        var script = RepositoryFiles.Path("tests", "Ddnn.PackageConsumer", "publish.sh");
        var output = _directory.Combine("aot");
        var (code, stdout, stderr) = DeviceHostTests.Exec("bash", [script, output], null, PublishTimeout);
        var log = $"bash {script} {output}: exit {code}\n--- stdout\n{Tail(stdout)}\n--- stderr\n{Tail(stderr)}";
        var host = Path.Combine(output, "ddnn-device");
        return (code == 0 && File.Exists(host) ? host : null, log);
    }

    private static string Tail(string text) => text.Length <= 6000 ? text : "..." + text[^6000..];

    public void Dispose()
    {
        _directory.Dispose();
        _run.Dispose();
    }
}

/// <summary>
/// The NativeAOT device host and <c>ddnn device</c> write, byte for byte, the scores and feature messages that the
/// device partitions give in process (<see cref="DevicePartition.Run(ReadOnlySpan{float}, Span{float})"/> and
/// <see cref="WireMessage"/>), framed by their lengths.
/// </summary>
[Collection(ServingProcessCollection.Name)]
public sealed class DeviceHostTests(PublishedDeviceHost fixture) : IClassFixture<PublishedDeviceHost>
{
    private const int Views = 24;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void The_native_host_writes_the_in_process_messages_from_stdin_to_stdout_and_between_files()
    {
        var host = fixture.Host;
        var (views0, expected0) = Expected(0, ScoreEncoding.Float32, firstSample: 0, seed: 11);
        var (code, stdout, stderr) = Exec(host, ["--partition", fixture.DevicePath(0)], views0, RunTimeout, binaryOut: true, out var bytes);
        Assert.True(code == 0, $"ddnn-device exited {code}: {stderr}{stdout}");
        AssertSameMessages(expected0, bytes, "device 0, f32, stdin to stdout");

        var last = fixture.Model.Devices.Length - 1;
        var (views1, expected1) = Expected(last, ScoreEncoding.UInt8, firstSample: 1000, seed: 12);
        var viewsFile = fixture.Scratch("views");
        var outFile = fixture.Scratch("messages");
        File.WriteAllBytes(viewsFile, views1);
        (code, stdout, stderr) = Exec(host, ["--partition", fixture.DevicePath(last), "--views", viewsFile, "--out", outFile, "--scores", "u8", "--first-sample", "1000"],
            null, RunTimeout);
        Assert.True(code == 0, $"ddnn-device exited {code}: {stderr}{stdout}");
        AssertSameMessages(expected1, File.ReadAllBytes(outFile), $"device {last}, u8, file to file");
    }

    [Fact]
    public void The_native_host_refuses_a_truncated_view_and_a_whole_model_with_one_line()
    {
        var host = fixture.Host;
        var (views, _) = Expected(0, ScoreEncoding.Float32, firstSample: 0, seed: 13);
        var (code, _, stderr) = Exec(host, ["--partition", fixture.DevicePath(0)], views[..^3], RunTimeout);
        Assert.Equal(1, code);
        Assert.Contains($"ends {fixture.Model.Devices[0].InputLength * 4 - 3} bytes into view {Views - 1}", stderr, StringComparison.Ordinal);
        (code, _, stderr) = Exec(host, ["--partition", Path.Combine(fixture.ExportDirectory, DeployedModelLoader.WholeModelFile)], [], RunTimeout);
        Assert.Equal(1, code);
        Assert.Contains($"holds {fixture.Model.Devices.Length} device partitions", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Ddnn_device_writes_the_in_process_messages_under_the_jit()
    {
        var (views, expected) = Expected(0, ScoreEncoding.UInt8, firstSample: 7, seed: 14);
        var viewsFile = fixture.Scratch("views");
        var outFile = fixture.Scratch("messages");
        File.WriteAllBytes(viewsFile, views);
        var result = DdnnCli.Succeed("device", "--partition", fixture.DevicePath(0), "--views", viewsFile, "--out", outFile, "--scores", "u8", "--first-sample", "7");
        Assert.Contains($"{Views} views, {2 * Views} messages", result.Out, StringComparison.Ordinal);
        AssertSameMessages(expected, File.ReadAllBytes(outFile), "ddnn device, u8");

        File.WriteAllBytes(viewsFile, views[..^1]);
        var refused = DdnnCli.Run("device", "--partition", fixture.DevicePath(0), "--views", viewsFile, "--out", outFile);
        Assert.Equal(2, refused.Code);
        Assert.Contains($"into view {Views - 1}", refused.SingleErrorLine(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Seeded views for <paramref name="device"/> (as float32 LE bytes) and the messages the in-process partition gives
    /// for them, one list entry per message.
    /// </summary>
    private (byte[] Views, List<byte[]> Messages) Expected(int device, ScoreEncoding scores, uint firstSample, ulong seed)
    {
        // A fresh load: the fixture's model is shared, and a partition runs one caller at a time.
        var partition = DeployedModelLoader.Load(fixture.ExportDirectory).Devices[device];
        var rng = new Random((int)seed);
        var n = partition.InputLength;
        var bytes = new byte[Views * n * 4];
        var view = new float[n];
        var logits = new float[partition.Exit.Classes];
        var (h, w) = partition.FeatureSize;
        var messages = new List<byte[]>();
        var buffer = new byte[4096];
        for (var s = 0; s < Views; s++)
        {
            for (var i = 0; i < n; i++)
            {
                view[i] = (float)rng.NextDouble();
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * (s * n + i)), view[i]);
            }
            partition.Run(view, logits);
            var length = WireMessage.WriteScores((byte)device, firstSample + (uint)s, logits, scores, partition.ScoreQuantizer, buffer);
            messages.Add(buffer[..length]);
            length = WireMessage.WriteFeatures((byte)device, firstSample + (uint)s, partition.Features, partition.FeatureChannels, h, w, buffer);
            messages.Add(buffer[..length]);
        }
        return (bytes, messages);
    }

    /// <summary>Splits <paramref name="output"/> at its length prefixes and compares every message.</summary>
    private static void AssertSameMessages(List<byte[]> expected, byte[] output, string what)
    {
        var at = 0;
        for (var m = 0; m < expected.Count; m++)
        {
            Assert.True(output.Length >= at + 4, $"{what}: the output ends before message {m} ({output.Length} bytes)");
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(output.AsSpan(at));
            Assert.True(length == expected[m].Length && output.Length >= at + 4 + length,
                $"{what}: message {m} is framed as {length} bytes, expected {expected[m].Length}");
            Assert.True(output.AsSpan(at + 4, length).SequenceEqual(expected[m]), $"{what}: message {m} (view {m / 2}) differs from the in-process one");
            at += 4 + length;
        }
        Assert.True(at == output.Length, $"{what}: {output.Length - at} bytes after the last expected message");
    }

    internal static (int Code, string Stdout, string Stderr) Exec(string file, string[] args, byte[]? stdin, TimeSpan timeout) =>
        Exec(file, args, stdin, timeout, binaryOut: false, out _);

    /// <summary>Runs a process to its end within <paramref name="timeout"/> (killed and failed after it).</summary>
    private static (int Code, string Stdout, string Stderr) Exec(string file, string[] args, byte[]? stdin, TimeSpan timeout, bool binaryOut, out byte[] stdoutBytes)
    {
        var info = new ProcessStartInfo(file)
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        var captured = new MemoryStream();
        var stdout = binaryOut ? process.StandardOutput.BaseStream.CopyToAsync(captured) : process.StandardOutput.ReadToEndAsync();
        if (stdin is not null) process.StandardInput.BaseStream.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds} s");
        }
        stdout.GetAwaiter().GetResult();
        stdoutBytes = captured.ToArray();
        return (process.ExitCode, binaryOut ? "" : ((Task<string>)stdout).Result, stderr.Result);
    }
}
