namespace Ddnn.Training.Calibration;

/// <summary>What a calibrated threshold must achieve on the validation split.</summary>
public abstract record CalibrationTarget
{
    /// <summary>Overall accuracy at most <paramref name="MaxDrop"/> (a fraction, 0.01 = one point) below cloud-only; among those, the fewest bytes.</summary>
    public sealed record AccuracyDrop(double MaxDrop) : CalibrationTarget;

    /// <summary>At most <paramref name="MaxBytesPerDevice"/> bytes per device per sample; among those, the best accuracy.</summary>
    public sealed record ByteBudget(double MaxBytesPerDevice) : CalibrationTarget;

    /// <summary>Parses "drop:0.01" / "drop:1%" or "bytes:40".</summary>
    public static CalibrationTarget Parse(string text)
    {
        var parts = text.Split(':', 2);
        if (parts.Length == 2)
        {
            var value = parts[1].Trim();
            var percent = value.EndsWith('%');
            if (percent) value = value[..^1];
            if (double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v)
                && v >= 0 && double.IsFinite(v))
            {
                switch (parts[0].Trim().ToLowerInvariant())
                {
                    case "drop": return new AccuracyDrop(percent ? v / 100 : v);
                    case "bytes" when !percent: return new ByteBudget(v);
                }
            }
        }
        throw new FormatException($"calibration target '{text}' must be drop:<fraction or %> (e.g. drop:1%) or bytes:<per device> (e.g. bytes:40)");
    }

    // Sealed so the derived records do not synthesize their own ToString over this readable one.
    /// <summary>The target in words for reports, e.g. "accuracy at most 1 points below cloud-only, fewest bytes".</summary>
    public sealed override string ToString() => this switch
    {
        AccuracyDrop d => string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"accuracy at most {d.MaxDrop * 100:0.##} points below cloud-only, fewest bytes"),
        ByteBudget b => string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"at most {b.MaxBytesPerDevice:0.##} bytes per device, best accuracy"),
        _ => GetType().Name,
    };
}
