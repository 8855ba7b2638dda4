using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels;

/// <summary>
/// Picks the kernel path once at start-up and lets tests and users force a narrower one.
/// The environment variable <c>DDNN_KERNEL_PATH</c> (scalar, vector128, avx2) sets the start-up choice.
/// </summary>
public static class KernelDispatch
{
    /// <summary>Name of the environment variable that overrides the start-up choice.</summary>
    public const string EnvironmentVariable = "DDNN_KERNEL_PATH";

    private static readonly object Gate = new();
    private static volatile int _active = (int)InitialPath();

    /// <summary>The widest path this processor supports.</summary>
    public static KernelPath Best { get; } = DetectBest();

    /// <summary>The path kernels run on now.</summary>
    public static KernelPath Active => (KernelPath)_active;

    /// <summary>Every path this processor can execute, narrowest first.</summary>
    public static IReadOnlyList<KernelPath> Supported { get; } =
        Enum.GetValues<KernelPath>().Where(IsSupported).ToArray();

    /// <summary>True when this processor can run <paramref name="path"/>.</summary>
    public static bool IsSupported(KernelPath path) => path switch
    {
        KernelPath.Scalar => true,
        KernelPath.Vector128 => Vector128.IsHardwareAccelerated,
        KernelPath.Avx2 => Avx2.IsSupported && Fma.IsSupported && Popcnt.X64.IsSupported,
        _ => false,
    };

    /// <summary>Forces <paramref name="path"/> for every later kernel call; <c>null</c> goes back to <see cref="Best"/>.</summary>
    /// <exception cref="PlatformNotSupportedException">The processor cannot run the path.</exception>
    public static void Force(KernelPath? path)
    {
        var target = path ?? Best;
        if (!IsSupported(target))
            throw new PlatformNotSupportedException($"Kernel path {target} is not supported on this processor (best is {Best}).");
        lock (Gate) _active = (int)target;
    }

    /// <summary>Forces <paramref name="path"/> until the returned scope is disposed, then restores the previous path.</summary>
    public static IDisposable Use(KernelPath path)
    {
        var previous = Active;
        Force(path);
        return new Scope(previous);
    }

    /// <summary>Parses a path name as accepted by <see cref="EnvironmentVariable"/> (case-insensitive).</summary>
    public static bool TryParse(string? text, out KernelPath path)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "scalar": path = KernelPath.Scalar; return true;
            case "vector128": path = KernelPath.Vector128; return true;
            case "avx2": path = KernelPath.Avx2; return true;
            default: path = KernelPath.Scalar; return false;
        }
    }

    private static KernelPath DetectBest() =>
        IsSupported(KernelPath.Avx2) ? KernelPath.Avx2
        : IsSupported(KernelPath.Vector128) ? KernelPath.Vector128
        : KernelPath.Scalar;

    private static KernelPath InitialPath()
    {
        var best = DetectBest();
        var text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(text)) return best;
        if (!TryParse(text, out var requested))
            throw new InvalidOperationException(
                $"{EnvironmentVariable}='{text}' is not a kernel path; use scalar, vector128 or avx2.");
        if (!IsSupported(requested))
            throw new PlatformNotSupportedException(
                $"{EnvironmentVariable}='{text}' asks for a path this processor cannot run (best is {best}).");
        return requested;
    }

    private sealed class Scope(KernelPath previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            Force(previous);
        }
    }
}
