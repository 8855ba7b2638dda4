using System.Runtime.InteropServices;

namespace Ddnn.Kernels.Tests;

/// <summary>
/// Floats that end exactly where an inaccessible page begins (Linux only): a kernel that loads or stores one float past
/// the end of its span faults instead of silently reading a neighbour's memory.
/// </summary>
internal sealed unsafe partial class GuardedFloats : IDisposable
{
    private const int ProtNone = 0, ProtRead = 1, ProtWrite = 2, MapPrivate = 2, MapAnonymous = 0x20;
    private readonly nint _mapping;
    private readonly nuint _mappingLength;
    private readonly float* _data;

    public GuardedFloats(int length)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "guard pages are set up with Linux mmap/mprotect");
        var page = (nuint)Environment.SystemPageSize;
        var dataPages = ((nuint)length * sizeof(float) + page - 1) / page;
        _mappingLength = (dataPages + 1) * page;
        _mapping = Mmap(0, _mappingLength, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (_mapping == -1) throw new InvalidOperationException($"mmap failed (errno {Marshal.GetLastPInvokeError()})");
        var guard = _mapping + (nint)(dataPages * page);
        if (Mprotect(guard, page, ProtNone) != 0) throw new InvalidOperationException($"mprotect failed (errno {Marshal.GetLastPInvokeError()})");
        _data = (float*)guard - length;
        Length = length;
    }

    public int Length { get; }

    public Span<float> Span => new(_data, Length);

    /// <summary>A guarded copy of <paramref name="values"/>.</summary>
    public static GuardedFloats Of(ReadOnlySpan<float> values)
    {
        var guarded = new GuardedFloats(values.Length);
        values.CopyTo(guarded.Span);
        return guarded;
    }

    public void Dispose() => _ = Munmap(_mapping, _mappingLength);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint address, nuint length);
}
