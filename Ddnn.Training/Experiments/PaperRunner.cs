using System.Diagnostics;
using System.Globalization;
using Ddnn.Core.Model;
using Ddnn.Training.Data;
using Ddnn.Training.Reporting;

namespace Ddnn.Training.Experiments;

/// <summary>
/// Trains every model the six studies need and hands each study to the caller as soon as its models are ready: the
/// base MP-CC model first (threshold sweep, raw offload), then the device-dropout model (missing device), the other
/// schemes, the other device counts and the other filter counts. The base model is reused wherever a study allows it.
/// </summary>
public sealed class PaperRunner
{
    private readonly DataSplits _data;
    private readonly PaperSettings _settings;
    private readonly ProgressReporter? _progress;
    private readonly TextWriter? _log;
    private readonly List<PhaseTiming> _timings = [];
    private readonly Dictionary<(int Devices, int SeedIndex), string> _devicesModels = [];

    /// <summary>Plans the models for <paramref name="data"/>, whose views must fit <see cref="PaperSettings.BaseConfig"/>.</summary>
    /// <param name="data">Training, validation and test splits shared by every model.</param>
    /// <param name="settings">Training settings and the base model every study varies.</param>
    /// <param name="progress">Live progress in device-epochs over the whole plan; null for none.</param>
    /// <param name="log">Receives one line per trained model (time, test accuracies, calibrated threshold); null for none.</param>
    public PaperRunner(DataSplits data, PaperSettings settings, ProgressReporter? progress = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(settings);
        _data = data;
        _settings = settings.Validate();
        var c = settings.BaseConfig;
        var t = data.Train;
        if (t.ViewCount != c.Devices || t.Channels != c.InputChannels || t.Height != c.InputHeight || t.Width != c.InputWidth || t.ClassCount != c.Classes)
            throw new ArgumentException(
                $"the base model expects {c.Devices} devices of {c.InputChannels}x{c.InputHeight}x{c.InputWidth} and {c.Classes} classes, but {data.SourceName} has {t.ViewCount} views of {t.Channels}x{t.Height}x{t.Width} and {t.ClassCount} classes",
                nameof(settings));
        _progress = progress;
        _log = log;
        Plan = BuildPlan();
    }

    /// <summary>Which study a planned model was added for (the base model serves several).</summary>
    public enum ModelGroup
    {
        /// <summary>The base MP-CC model: threshold sweep and raw offload, and the reference point of the other studies.</summary>
        Base,
        /// <summary>The base configuration trained with device dropout, for the missing-device study.</summary>
        DeviceDropout,
        /// <summary>Another local/cloud aggregation scheme, for the aggregation-schemes study.</summary>
        Scheme,
        /// <summary>Fewer devices (a subset of the cameras), for the number-of-devices study.</summary>
        Devices,
        /// <summary>Another number of device filters, for the filters study.</summary>
        Filters,
    }

    /// <summary>
    /// One model to train: its name, study group, configuration, device-dropout probability, training seed, and the
    /// camera views it sees in device order (null: all views in their own order).
    /// </summary>
    public sealed record PlannedModel(string Name, ModelGroup Group, DdnnConfig Config, double DeviceDropout, ulong Seed, IReadOnlyList<int>? Views = null);

    /// <summary>Every model the run trains, in order.</summary>
    public IReadOnlyList<PlannedModel> Plan { get; }

    /// <summary>Seconds spent per model and study, in order.</summary>
    public IReadOnlyList<PhaseTiming> Timings => _timings;

    private string BaseScheme => PaperStudies.SchemeName(_settings.BaseConfig);

    private List<PlannedModel> BuildPlan()
    {
        var c = _settings.BaseConfig;
        var seed = _settings.Seed;
        var plan = new List<PlannedModel>
        {
            new(BaseScheme, ModelGroup.Base, c, 0, seed),
            new($"{BaseScheme} + device dropout", ModelGroup.DeviceDropout, c, _settings.DeviceDropout, seed),
        };
        foreach (var (local, cloud) in AggregationNames.PaperSchemes)
        {
            var config = PaperStudies.WithScheme(c, local, cloud);
            if (PaperStudies.SchemeName(config) != BaseScheme) plan.Add(new(PaperStudies.SchemeName(config), ModelGroup.Scheme, config, 0, seed));
        }
        // The devices study adds cameras in a different order per seed: taking always the first d cameras would tie the
        // device count to which cameras those are (on the synthetic scenes camera 0 is among the best, 1-3 the weakest).
        var orders = ViewSelection.CameraOrders(c.Devices, _settings.DeviceStudySeeds, seed);
        for (var k = 0; k < _settings.DeviceStudySeeds; k++)
        {
            var order = orders[k];
            for (var d = 1; d <= c.Devices; d++)
            {
                if (k == 0 && d == c.Devices)
                {
                    _devicesModels[(d, k)] = BaseScheme; // every camera: the base model
                    continue;
                }
                var views = d == c.Devices ? null : order[..d];
                var name = string.Create(CultureInfo.InvariantCulture,
                    $"{d} device{(d == 1 ? "" : "s")}{(views is null ? "" : $" (camera{(d == 1 ? "" : "s")} {string.Join(",", views)})")}{(k == 0 ? "" : $", seed {DeviceStudySeed(k)}")}");
                _devicesModels[(d, k)] = name;
                plan.Add(new(name, ModelGroup.Devices, PaperStudies.WithDevices(c, d), 0, DeviceStudySeed(k), views));
            }
        }
        foreach (var f in _settings.FilterChoices.Distinct().Order())
            if (!IsBaseFilters(f)) plan.Add(new($"f={f}", ModelGroup.Filters, PaperStudies.WithFilters(c, f), 0, seed));
        return plan;
    }

    private ulong DeviceStudySeed(int k) => _settings.Seed + (ulong)k;

    private bool IsBaseFilters(int f) => f == _settings.BaseConfig.DeviceOutputChannels && _settings.BaseConfig.DeviceFilters.All(x => x == f);

    /// <summary>Trains the plan and calls <paramref name="onStudy"/> with each of the six studies as soon as it is complete.</summary>
    public IReadOnlyList<StudyOutput> Run(Action<StudyOutput> onStudy, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(onStudy);
        var studies = new List<StudyOutput>();
        void Emit(string name, Func<StudyOutput> build)
        {
            var clock = Stopwatch.StartNew();
            var study = build();
            onStudy(study);
            _timings.Add(new PhaseTiming($"study {name}", clock.Elapsed.TotalSeconds));
            studies.Add(study);
        }

        var steps = Plan.Sum(p => (long)_settings.Epochs * p.Config.Devices);
        using var task = _progress?.Start("training models", steps, "device-epochs");
        long done = 0;
        var trained = new Dictionary<string, TrainedModel>(StringComparer.Ordinal);
        for (var i = 0; i < Plan.Count; i++)
        {
            var plan = Plan[i];
            var data = plan.Views is null ? _data : ViewSelection.Select(_data, plan.Views);
            var before = done;
            var model = TrainedModel.Train(plan.Name, plan.Config, data, _settings with { Seed = plan.Seed }, plan.DeviceDropout, epoch =>
            {
                done = before + (long)epoch * plan.Config.Devices;
                task?.Report(done, $"model {i + 1}/{Plan.Count} {plan.Name}, epoch {epoch}/{_settings.Epochs}");
            }, cancellation);
            trained[plan.Name] = model;
            _timings.Add(new PhaseTiming($"train {plan.Name}", model.TrainSeconds));
            _log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  [{i + 1}/{Plan.Count}] {plan.Name}: trained in {model.TrainSeconds:F1} s; test local {100 * model.LocalAccuracy:F1}%, cloud {100 * model.CloudAccuracy:F1}%, overall {100 * model.Calibrated.Test.Accuracy:F1}% at T = {model.Calibrated.Threshold:0.###} ({100 * model.Calibrated.Test.LocalExitFraction:F1}% local exits)"));

            if (i == 0)
            {
                Emit(PaperStudies.SweepId, () => PaperStudies.Sweep(model, _settings.SweepStep));
                Emit(PaperStudies.RawOffloadId, () => PaperStudies.RawOffload(model));
            }
            else if (i == 1)
            {
                var basic = trained[BaseScheme];
                Emit(PaperStudies.MissingId, () => PaperStudies.MissingDevice(
                    basic, PaperStudies.WithoutEachDevice(basic, _data.Test, _settings.EvaluationBatch, cancellation),
                    model, PaperStudies.WithoutEachDevice(model, _data.Test, _settings.EvaluationBatch, cancellation), _settings.DeviceDropout));
            }
            if (IsLastOf(i, ModelGroup.Scheme))
                Emit(PaperStudies.SchemesId, () => PaperStudies.Schemes(AggregationNames.PaperSchemes
                    .Select(s => trained[AggregationNames.SchemeName(s.Local, s.Cloud)]).ToArray(), BaseScheme));
            if (IsLastOf(i, ModelGroup.Devices))
                Emit(PaperStudies.DevicesId, () => PaperStudies.Devices(Enumerable.Range(1, _settings.BaseConfig.Devices)
                    .Select(d => (IReadOnlyList<TrainedModel>)Enumerable.Range(0, _settings.DeviceStudySeeds)
                        .Select(k => trained[_devicesModels[(d, k)]]).ToArray())
                    .ToArray()));
            if (IsLastOf(i, ModelGroup.Filters))
                Emit(PaperStudies.FiltersId, () => PaperStudies.Filters(_settings.FilterChoices.Distinct().Order()
                    .Select(f => IsBaseFilters(f) ? trained[BaseScheme] : trained[$"f={f}"])
                    .ToArray()));
        }
        task?.Complete($"{Plan.Count} models");
        return studies;
    }

    // The study of a group is emitted after the last planned model of the group (or after the base model when the
    // group has no other model, e.g. a single device or a single filter choice).
    private bool IsLastOf(int index, ModelGroup group)
    {
        var last = -1;
        for (var j = 0; j < Plan.Count; j++) if (Plan[j].Group == group) last = j;
        return last < 0 ? index == 0 : index == last;
    }
}
