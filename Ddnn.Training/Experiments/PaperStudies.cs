using System.Globalization;
using Ddnn.Core.Inference;
using Ddnn.Core.Model;
using Ddnn.Training.Calibration;

namespace Ddnn.Training.Experiments;

/// <summary>
/// The six studies of the paper, built from trained models: table, plot, report section and the qualitative findings,
/// each decided by numbers from this run (thresholds always calibrated on validation, evaluated on test).
/// </summary>
public static partial class PaperStudies
{
    /// <summary>Folder id of the aggregation-schemes study (local/cloud aggregator pairs).</summary>
    public const string SchemesId = "aggregation-schemes";
    /// <summary>Folder id of the local-exit threshold sweep of the base model.</summary>
    public const string SweepId = "threshold-sweep";
    /// <summary>Folder id of the study of accuracy against the number of devices.</summary>
    public const string DevicesId = "number-of-devices";
    /// <summary>Folder id of the study of accuracy with one device absent.</summary>
    public const string MissingId = "missing-device";
    /// <summary>Folder id of the study of accuracy and bytes against the device filter count.</summary>
    public const string FiltersId = "filters";
    /// <summary>Folder id of the comparison of DDNN traffic with offloading raw sensor input.</summary>
    public const string RawOffloadId = "raw-offload";

    /// <summary>Accuracy within this many points of cloud-only counts as "near-cloud".</summary>
    public const double NearCloudPoints = 2;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static string Pct(double v) => (100 * v).ToString("F1", Inv) + "%";

    /// <summary>How the real message sizes of <paramref name="model"/> are made up, for the report.</summary>
    public static string WireNote(TrainedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var c = model.Config;
        var (h, w) = c.DeviceOutputSize;
        return string.Create(Inv,
            $"Real sizes per device and sample (Ddnn.Core.Deploy.WireMessage, {Core.Deploy.WireMessage.HeaderBytes}-byte header in every message): "
                + $"a class-score message of {Core.Deploy.WireMessage.ScoresBytes(c.Classes, ScoreEncoding.Float32)} bytes with float32 scores or "
                + $"{Core.Deploy.WireMessage.ScoresBytes(c.Classes, ScoreEncoding.UInt8)} with uint8 scores (one byte per class over the device "
                + $"exit's fixed per-class range, no per-message scale), always; plus a "
                + $"{Core.Deploy.WireMessage.FeaturesBytes(c.DeviceOutputChannels, h, w)}-byte packed feature message "
                + $"({c.DeviceOutputChannels}x{h}x{w} bits) for samples that do not exit locally. The local aggregator's "
                + $"{Core.Deploy.WireMessage.RequestBytes(c.Devices)}-byte cloud request is not a device's traffic. The uint8 sizes are taken at "
                + $"the exit fractions of the float32 cascade (quantized scores can move a few samples across T; `ddnn infer --scores u8` measures "
                + $"that on the deployed partition).");
    }

    /// <summary>A calibration target in words (derived records print their fields instead of the base record's text).</summary>
    public static string TargetText(CalibrationTarget target) => target switch
    {
        CalibrationTarget.AccuracyDrop d => string.Create(Inv, $"accuracy at most {d.MaxDrop * 100:0.##} points below cloud-only, most local exits"),
        CalibrationTarget.ByteBudget b => string.Create(Inv, $"at most {b.MaxBytesPerDevice:0.##} bytes per device, best accuracy"),
        _ => target.GetType().Name,
    };

    /// <summary>The base config with another local and cloud aggregator.</summary>
    public static DdnnConfig WithScheme(DdnnConfig config, Aggregation local, Aggregation cloud) =>
        (config with { LocalAggregator = local, CloudAggregator = cloud }).Validate();

    /// <summary>The base config with <paramref name="devices"/> devices.</summary>
    public static DdnnConfig WithDevices(DdnnConfig config, int devices) => (config with { Devices = devices }).Validate();

    /// <summary>The base config with <paramref name="filters"/> filters in every device block.</summary>
    public static DdnnConfig WithFilters(DdnnConfig config, int filters) =>
        (config with { DeviceFilters = config.DeviceFilters.Select(_ => filters).ToArray() }).Validate();

    /// <summary>"MP-CC" style name of a config's scheme.</summary>
    public static string SchemeName(DdnnConfig config) =>
        $"{config.LocalAggregator?.ToShortName() ?? "none"}-{config.CloudAggregator.ToShortName()}";
}
