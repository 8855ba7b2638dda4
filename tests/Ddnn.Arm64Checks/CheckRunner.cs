using System.Diagnostics;
using System.Reflection;
using FsCheck;
using FsCheck.Xunit;
using Microsoft.FSharp.Core;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Ddnn.Arm64Checks;

/// <summary>
/// Runs xunit test methods the way xunit would, one case at a time on one thread: a new instance of the class per case,
/// every data row of a theory, FsCheck properties through FsCheck, <c>Skip.If</c> as skipped. Assertions are xunit's
/// own, so they work without the xunit runner.
/// </summary>
internal sealed class CheckRunner(bool verbose)
{
    private readonly Dictionary<string, double> _secondsByMethod = [];
    private readonly Dictionary<string, int> _skipsByReason = [];

    public int Passed { get; private set; }
    public int Failed { get; private set; }
    public int Skipped { get; private set; }
    public int Total => Passed + Failed + Skipped;

    public CheckRunner Run(IEnumerable<MethodInfo> methods)
    {
        foreach (var method in methods)
        {
            var started = Stopwatch.GetTimestamp();
            RunMethod(method);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            _secondsByMethod[CheckCatalog.NameOf(method)] = seconds;
            if (verbose) Console.WriteLine($"arm64 checks: {CheckCatalog.NameOf(method)} {seconds:F1} s");
        }
        return this;
    }

    public IEnumerable<(string Name, double Seconds)> SlowestMethods(int count) =>
        _secondsByMethod.OrderByDescending(p => p.Value).Take(count).Select(p => (p.Key, p.Value));

    /// <summary>Each distinct skip reason with how many cases gave it (each case is named with --verbose).</summary>
    public IEnumerable<(string Reason, int Cases)> SkipReasons() => _skipsByReason.Select(p => (p.Key, p.Value));

    private void RunMethod(MethodInfo method)
    {
        var name = CheckCatalog.NameOf(method);
        var fact = method.GetCustomAttributes<FactAttribute>().Single();
        if (fact.Skip is { } reason)
        {
            Skip(name, reason);
            return;
        }

        if (fact is PropertyAttribute property)
        {
            Run(name, () => CheckProperty(method, property));
            return;
        }

        if (fact is not TheoryAttribute)
        {
            Run(name, () => Invoke(method, []));
            return;
        }

        List<object?[]> rows;
        try
        {
            // [InlineData(null)] hands over a null row, which xunit reads as one null argument.
            rows = method.GetCustomAttributes<DataAttribute>().SelectMany(d => d.GetData(method)).Select(r => r ?? [null]).ToList();
        }
        catch (Exception error)
        {
            Fail(name, Unwrap(error));
            return;
        }
        if (rows.Count == 0) Fail(name, new InvalidOperationException("the theory has no data rows"));
        foreach (var row in rows)
            Run($"{name}({string.Join(", ", row.Select(Show))})", () => Invoke(method, row));
    }

    private void Run(string name, Action check)
    {
        try
        {
            check();
            Passed++;
        }
        catch (Exception error) when (Unwrap(error) is Xunit.SkipException skip)
        {
            Skip(name, skip.Message);
        }
        catch (Exception error)
        {
            Fail(name, Unwrap(error));
        }
    }

    private void Skip(string name, string reason)
    {
        Skipped++;
        _skipsByReason[reason] = _skipsByReason.GetValueOrDefault(reason) + 1;
        if (verbose) Console.WriteLine($"  skipped {name}: {reason}");
    }

    private void Fail(string name, Exception error)
    {
        Failed++;
        Console.WriteLine($"  FAILED {name}");
        Console.WriteLine(Indent($"{error.GetType().Name}: {error.Message}"));
        if (error.StackTrace is { } stack) Console.WriteLine(Indent(stack));
    }

    private static void Invoke(MethodInfo method, object?[] row)
    {
        var instance = method.IsStatic ? null : Create(method.ReflectedType!);
        try
        {
            var result = method.Invoke(instance, Arguments(method, row));
            if (result is Task task) task.GetAwaiter().GetResult();
        }
        finally
        {
            (instance as IDisposable)?.Dispose();
        }
    }

    private static void CheckProperty(MethodInfo method, PropertyAttribute property)
    {
        if (property.Arbitrary.Length > 0 || property.Replay is not null)
            throw new NotSupportedException("this runner does not apply [Property] Arbitrary or Replay; run the property through dotnet test");
        var instance = method.IsStatic ? null : Create(method.ReflectedType!);
        try
        {
            var config = Config.QuickThrowOnFailure.WithMaxTest(property.MaxTest).WithQuietOnSuccess(true);
            Check.Method(config, method, instance is null ? FSharpOption<object>.None : FSharpOption<object>.Some(instance));
        }
        finally
        {
            (instance as IDisposable)?.Dispose();
        }
    }

    private static object Create(Type type)
    {
        if (type.GetConstructor(Type.EmptyTypes) is { } plain) return plain.Invoke(null);
        if (type.GetConstructor([typeof(ITestOutputHelper)]) is { } withOutput) return withOutput.Invoke([new DroppedOutput()]);
        throw new NotSupportedException($"{type.Name} needs constructor arguments (fixtures) that this runner does not provide");
    }

    /// <summary>The row as the method's parameters: optional parameters the row leaves out take their defaults.</summary>
    private static object?[] Arguments(MethodInfo method, object?[] row)
    {
        var parameters = method.GetParameters();
        if (row.Length > parameters.Length || parameters.Skip(row.Length).Any(p => !p.IsOptional))
            throw new InvalidOperationException($"the data row has {row.Length} values for {parameters.Length} parameters");
        var values = row.Concat(parameters.Skip(row.Length).Select(p => p.DefaultValue)).ToArray();
        return Reflector.ConvertArguments(values, parameters.Select(p => p.ParameterType).ToArray());
    }

    private static Exception Unwrap(Exception error)
    {
        while (error is TargetInvocationException { InnerException: { } inner }) error = inner;
        return error is AggregateException { InnerExceptions.Count: 1 } aggregate ? Unwrap(aggregate.InnerExceptions[0]) : error;
    }

    private static string Show(object? value) => value switch
    {
        null => "null",
        string text => $"\"{text}\"",
        _ => value.ToString() ?? value.GetType().Name,
    };

    private static string Indent(string text) =>
        string.Join(Environment.NewLine, text.Split('\n').Select(line => "      " + line.TrimEnd('\r')));

    /// <summary>Test output is only shown by a test host; here it is dropped (failures print their own message).</summary>
    private sealed class DroppedOutput : ITestOutputHelper
    {
        public void WriteLine(string message) { }
        public void WriteLine(string format, params object[] args) { }
    }
}
