using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels;

/// <summary>
/// Picks the kernel path once at start-up and lets a scope narrow it.
/// The environment variable <c>DDNN_KERNEL_PATH</c> (scalar, vector128, avx2, avx512) sets the start-up default;
/// <see cref="Use"/> overrides it for the calling flow only (and the work it starts), so parallel callers do not
/// see each other's path; <see cref="DefaultPath"/> changes it for the whole process.
/// </summary>
public static class KernelDispatch
{
    /// <summary>Name of the environment variable that overrides the start-up choice.</summary>
    public const string EnvironmentVariable = "DDNN_KERNEL_PATH";

    private static readonly ScopedSetting Setting = new((int)InitialPath());

    /// <summary>The widest path this processor supports.</summary>
    public static KernelPath Best { get; } = DetectBest();

    /// <summary>The path kernels run on now: the innermost open <see cref="Use"/> scope's, else <see cref="DefaultPath"/>.</summary>
    public static KernelPath Active => (KernelPath)Setting.Current;

    /// <summary>
    /// The path of every flow that has no <see cref="Use"/> scope, for the whole process (a program's start-up
    /// choice; tests use scopes). Starts as <see cref="EnvironmentVariable"/> says, else <see cref="Best"/>.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The processor cannot run the path.</exception>
    public static KernelPath DefaultPath
    {
        get => (KernelPath)Setting.Default;
        set => Setting.Default = (int)Checked(value);
    }

    /// <summary>Every path this processor can execute, narrowest first.</summary>
    public static IReadOnlyList<KernelPath> Supported { get; } =
        Enum.GetValues<KernelPath>().Where(IsSupported).ToArray();

    /// <summary>True when this processor can run <paramref name="path"/>.</summary>
    public static bool IsSupported(KernelPath path) => path switch
    {
        KernelPath.Scalar => true,
        KernelPath.Vector128 => Vector128.IsHardwareAccelerated,
        KernelPath.Avx2 => Avx2.IsSupported && Fma.IsSupported && Popcnt.X64.IsSupported,
        KernelPath.Avx512 => IsSupported(KernelPath.Avx2) && Vector512.IsHardwareAccelerated
            && Avx512F.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported,
        _ => false,
    };

    /// <summary>
    /// Runs kernels on <paramref name="path"/> in the calling flow, and the parallel work it starts, until the returned
    /// scope is disposed; other flows keep their path.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The processor cannot run the path.</exception>
    public static KernelSettingScope Use(KernelPath path) => Setting.Open((int)Checked(path));

    /// <summary>Parses a path name as accepted by <see cref="EnvironmentVariable"/> (case-insensitive).</summary>
    public static bool TryParse(string? text, out KernelPath path)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "scalar": path = KernelPath.Scalar; return true;
            case "vector128": path = KernelPath.Vector128; return true;
            case "avx2": path = KernelPath.Avx2; return true;
            case "avx512": path = KernelPath.Avx512; return true;
            default: path = KernelPath.Scalar; return false;
        }
    }

    private static KernelPath DetectBest() =>
        IsSupported(KernelPath.Avx512) ? KernelPath.Avx512
        : IsSupported(KernelPath.Avx2) ? KernelPath.Avx2
        : IsSupported(KernelPath.Vector128) ? KernelPath.Vector128
        : KernelPath.Scalar;

    private static KernelPath InitialPath()
    {
        var best = DetectBest();
        var text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(text)) return best;
        if (!TryParse(text, out var requested))
            throw new InvalidOperationException(
                $"{EnvironmentVariable}='{text}' is not a kernel path; use scalar, vector128, avx2 or avx512.");
        if (!IsSupported(requested))
            throw new PlatformNotSupportedException(
                $"{EnvironmentVariable}='{text}' asks for a path this processor cannot run (best is {best}).");
        return requested;
    }

    private static KernelPath Checked(KernelPath path) => IsSupported(path)
        ? path
        : throw new PlatformNotSupportedException($"Kernel path {path} is not supported on this processor (best is {Best}).");
}
