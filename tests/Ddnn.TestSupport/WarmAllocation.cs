namespace Ddnn.TestSupport;

/// <summary>
/// Bytes a warm call allocates on the calling thread. Code that allocates does so on every call; the runtime may
/// allocate once on the way (a method tiering up, the tiering thread being created: seen at 8 KB under qemu, where
/// the JIT's background work is slow), so a call gets a few tries at zero and the fewest bytes are reported.
/// </summary>
public static class WarmAllocation
{
    public const int Tries = 3;

    /// <summary>The fewest bytes one call of <paramref name="call"/> allocated in up to <see cref="Tries"/> calls.</summary>
    public static long Fewest(Action call)
    {
        var fewest = long.MaxValue;
        for (var attempt = 0; attempt < Tries && fewest != 0; attempt++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            call();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }

    /// <summary>Asserts that a warm call of <paramref name="call"/> allocates nothing, naming <paramref name="what"/>.</summary>
    public static void AssertNone(Action call, string what)
    {
        var fewest = Fewest(call);
        Assert.True(fewest == 0, $"{what}: allocated {fewest} bytes on each of {Tries} calls");
    }
}
