using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Validators;
using Ddnn.Bench.Benchmarks;

namespace Ddnn.Bench.Tests.Benchmarks;

/// <summary>
/// BenchmarkDotNet refuses a class whose setup and cleanup methods it cannot order (e.g. two global cleanups, one
/// inherited); that only shows when the suite runs, so every suite's classes are validated here without running them.
/// </summary>
public class BenchmarkValidationTests
{
    public static TheoryData<BenchmarkSuite> Suites() => [BenchmarkSuite.Kernels, BenchmarkSuite.Training, BenchmarkSuite.Deploy];

    [Theory]
    [MemberData(nameof(Suites))]
    public void EverySuitesSetupAndCleanupPassBenchmarkDotNetsValidation(BenchmarkSuite suite)
    {
        var config = DefaultConfig.Instance;
        foreach (var type in BenchmarkSuites.Types(suite))
        {
            var run = BenchmarkConverter.TypeToBenchmarks(type, config);
            var errors = SetupCleanupValidator.FailOnError.Validate(new ValidationParameters(run.BenchmarksCases, run.Config)).ToList();
            Assert.True(errors.Count == 0, $"{type.Name}: {string.Join("; ", errors.Select(e => e.Message))}");
        }
    }
}
