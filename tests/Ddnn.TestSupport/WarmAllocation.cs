namespace Ddnn.TestSupport;

/// <summary>
/// Bytes a warm call allocates. Code that allocates does so on every call; the runtime may allocate once on the way (a
/// method tiering up, the tiering thread being created: seen at 8 KB under qemu, where the JIT's background work is
/// slow, and at 20 KB per step over a whole process on a loaded machine), so a call gets a few tries and the fewest
/// bytes are reported.
/// </summary>
public static class WarmAllocation
{
    public const int Tries = 3;

    /// <summary>
    /// The fewest bytes one call of <paramref name="call"/> allocated in up to <see cref="Tries"/> calls, on the calling
    /// thread or, with <paramref name="wholeProcess"/>, over every thread (for code that works on other threads too).
    /// </summary>
    public static long Fewest(Action call, bool wholeProcess = false)
    {
        long Allocated() => wholeProcess ? GC.GetTotalAllocatedBytes(precise: true) : GC.GetAllocatedBytesForCurrentThread();
        var fewest = long.MaxValue;
        for (var attempt = 0; attempt < Tries && fewest != 0; attempt++)
        {
            var before = Allocated();
            call();
            fewest = Math.Min(fewest, Allocated() - before);
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
