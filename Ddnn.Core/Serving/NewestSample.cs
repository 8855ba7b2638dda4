namespace Ddnn.Core.Serving;

/// <summary>
/// The newest sample id whose stage started at a tier (its tick or request), against which the tier judges how old or
/// how far ahead a message is. A start more than the ahead window past it is still served, but moves it only once a
/// second start lands within the window above the first (the deployment has moved on, e.g. after a pause or between
/// sparse cloud requests): one forged id such as 2^32 − 1 can then neither make every later id look old nor wedge the tier.
/// </summary>
internal sealed class NewestSample(uint aheadWindow)
{
    private uint? _candidate;

    /// <summary>The newest confirmed id, or null before the first start (and after a run change).</summary>
    public uint? Value { get; private set; }

    /// <summary>The newest id started here, confirmed or not: what a peer's message may run ahead of (null before the first start).</summary>
    public uint? Latest => _candidate is { } c && (Value is not { } v || c > v) ? c : Value;

    /// <summary>True when <paramref name="sample"/> is more than the ahead window past <see cref="Value"/>.</summary>
    public bool IsFarAhead(uint sample) => Value is { } newest && sample > newest && sample - newest > aheadWindow;

    /// <summary>Sample <paramref name="sample"/> started here.</summary>
    public void Started(uint sample)
    {
        if (Value is { } newest && sample <= newest) return;
        if (!IsFarAhead(sample) || (_candidate is { } c && sample > c && sample - c <= aheadWindow))
        {
            Value = sample;
            _candidate = null;
        }
        else _candidate = sample;
    }

    /// <summary>Forgets every id (a new run).</summary>
    public void Reset()
    {
        Value = null;
        _candidate = null;
    }
}
