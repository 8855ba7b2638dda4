using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using Ddnn.Arm64Checks;
using Ddnn.Kernels;

// Runs the xunit checks of Ddnn.Kernels.Tests (and the kernel-path checks of Ddnn.Core.Tests) without a test host, so
// they can run under qemu on linux-arm64. Usage: Ddnn.Arm64Checks [--filter TEXT]... [--verbose]
// --filter keeps the checks whose "Class.Method" contains TEXT; --verbose names each check with its time.
var filters = new List<string>();
var verbose = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--filter" when i + 1 < args.Length: filters.Add(args[++i]); break;
        case "--verbose": verbose = true; break;
        default:
            Console.Error.WriteLine($"arm64 checks: unknown argument '{args[i]}'; use --filter TEXT or --verbose");
            return 2;
    }
}

var architecture = RuntimeInformation.ProcessArchitecture;
Console.WriteLine($"arm64 checks: process architecture = {architecture}, AdvSimd.IsSupported = {AdvSimd.IsSupported}, "
    + $"AdvSimd.Arm64.IsSupported = {AdvSimd.Arm64.IsSupported}, Vector128.IsHardwareAccelerated = {Vector128.IsHardwareAccelerated}");
Console.WriteLine($"arm64 checks: kernel paths here = {string.Join(", ", KernelDispatch.Supported)} (best {KernelDispatch.Best})");

// A run on the wrong processor, or one where the 128-bit path fell back to scalar, must not count as an Arm pass.
var onArm = architecture == Architecture.Arm64 && AdvSimd.IsSupported && KernelDispatch.Best == KernelPath.Vector128;
if (!onArm)
{
    Console.Error.WriteLine("arm64 checks: this is not an arm64 process with AdvSimd and the Vector128 kernel path; "
        + "run the linux-arm64 publish under qemu-aarch64-static (see .ci/test)");
    return 1;
}

var stopwatch = Stopwatch.StartNew();
var checks = CheckCatalog.Select(filters);
var results = new CheckRunner(verbose).Run(checks);
stopwatch.Stop();

foreach (var (reason, cases) in results.SkipReasons())
    Console.WriteLine($"arm64 checks: skipped {cases} case(s): {reason}");
foreach (var (name, seconds) in results.SlowestMethods(5))
    Console.WriteLine($"arm64 checks: slow: {name} {seconds:F1} s");

// The same summary line as `dotnet test`, so .ci/run adds these counts to the others.
var elapsed = stopwatch.Elapsed;
var verdict = results.Failed == 0 && results.Passed > 0 ? "Passed!" : "Failed!";
Console.WriteLine($"{verdict} - Failed: {results.Failed}, Passed: {results.Passed}, Skipped: {results.Skipped}, "
    + $"Total: {results.Total}, Duration: {(int)elapsed.TotalMinutes} m {elapsed.Seconds} s - Ddnn.Arm64Checks (linux-arm64)");
if (results.Passed == 0) Console.Error.WriteLine("arm64 checks: no check ran");
return results.Failed == 0 && results.Passed > 0 ? 0 : 1;
