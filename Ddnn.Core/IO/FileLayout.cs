namespace Ddnn.Core.IO;

/// <summary>
/// Which sections each <see cref="DdnnFileKind"/> holds, in which order and how many: a sequence of slots, each a set
/// of section types with a minimum and maximum count. Reader and writer both enforce it.
/// </summary>
internal static class FileLayout
{
    private sealed record Slot(SectionType[] Types, int Min, int Max)
    {
        public string Describe() => (Min == Max ? $"{Min} " : Max == int.MaxValue ? $"at least {Min} " : $"{Min}..{Max} ")
            + string.Join(" or ", Types.Select(t => t.Describe())) + " section" + (Max == 1 ? "" : "s");
    }

    private static readonly SectionType[] Partitions =
        [SectionType.DevicePartition, SectionType.LocalPartition, SectionType.EdgePartition, SectionType.CloudPartition];

    private static Slot[] SlotsOf(DdnnFileKind kind) => kind switch
    {
        DdnnFileKind.TrainableModel => [new([SectionType.Config], 1, 1), new([SectionType.Tensor], 1, int.MaxValue)],
        DdnnFileKind.PackedModel => [new([SectionType.Config], 1, 1), new(Partitions, 2, int.MaxValue)],
        DdnnFileKind.PackedPartition => [new([SectionType.Config], 1, 1), new(Partitions, 1, 1)],
        DdnnFileKind.TrainingCheckpoint =>
        [
            new([SectionType.Config], 1, 1), new([SectionType.TrainingProgress], 1, 1),
            new([SectionType.Tensor], 1, int.MaxValue), new([SectionType.OptimizerSlot], 0, int.MaxValue),
        ],
        DdnnFileKind.ModuleState => [new([SectionType.Tensor], 0, int.MaxValue)],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown file kind."),
    };

    /// <summary>True for the kinds this build knows.</summary>
    public static bool IsKnown(DdnnFileKind kind) => kind is >= DdnnFileKind.TrainableModel and <= DdnnFileKind.ModuleState;

    /// <summary>
    /// Why the section types <paramref name="types"/> (in file order) do not form a <paramref name="kind"/> file, or
    /// null when they do. Every type must be known (<see cref="SectionTypeNames.IsKnown"/>).
    /// </summary>
    public static string? Problem(DdnnFileKind kind, IReadOnlyList<SectionType> types)
    {
        ArgumentNullException.ThrowIfNull(types);
        var slots = SlotsOf(kind);
        var at = 0;
        foreach (var slot in slots)
        {
            var taken = 0;
            while (at < types.Count && taken < slot.Max && Array.IndexOf(slot.Types, types[at]) >= 0) { at++; taken++; }
            if (taken < slot.Min)
                return at < types.Count
                    ? $"section {at} is a {types[at].Describe()} section, but a {kind.Describe()} file needs {slot.Describe()} there"
                    : $"the {kind.Describe()} file ends after {types.Count} sections without {slot.Describe()}";
        }
        if (at == types.Count) return null;
        var allowed = slots.Any(s => Array.IndexOf(s.Types, types[at]) >= 0);
        return allowed
            ? $"section {at} is a {types[at].Describe()} section out of place (repeated or out of order) in a {kind.Describe()} file"
            : $"section {at} is a {types[at].Describe()} section, which a {kind.Describe()} file cannot hold";
    }
}
