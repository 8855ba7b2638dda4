using System.Diagnostics;
using Ddnn.Core.Serving;

namespace Ddnn.Bench.Serving;

/// <summary>The wall clock a served tier reads: milliseconds since the clock was made, from the monotonic stopwatch.</summary>
public sealed class StopwatchClock : IServingClock
{
    private readonly long _origin = Stopwatch.GetTimestamp();

    /// <inheritdoc />
    public double NowMs => Stopwatch.GetElapsedTime(_origin).TotalMilliseconds;
}
