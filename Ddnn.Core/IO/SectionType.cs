namespace Ddnn.Core.IO;

/// <summary>The typed sections of a Ddnn file. Ids are global across file kinds; which a kind may hold is <see cref="FileLayout"/>'s rule.</summary>
public enum SectionType : uint
{
    /// <summary>The model configuration as UTF-8 JSON (<c>DdnnConfigJson</c>); index 0.</summary>
    Config = 1,

    /// <summary>A packed device partition; index = device number.</summary>
    DevicePartition = 2,

    /// <summary>The packed local aggregator; index 0.</summary>
    LocalPartition = 3,

    /// <summary>A packed edge partition; index = edge number.</summary>
    EdgePartition = 4,

    /// <summary>The packed cloud partition; index 0.</summary>
    CloudPartition = 5,

    /// <summary>One named parameter or buffer; index = its position among the tensor sections.</summary>
    Tensor = 6,

    /// <summary>A training run's options, completed epochs and history as UTF-8 JSON; index 0.</summary>
    TrainingProgress = 7,

    /// <summary>Adam's step count and moments of one parameter; index = the parameter's position.</summary>
    OptimizerSlot = 8,
}

/// <summary>Human-readable names of <see cref="SectionType"/> values for error messages.</summary>
internal static class SectionTypeNames
{
    /// <summary>True for the ids this build knows.</summary>
    public static bool IsKnown(this SectionType type) => type is >= SectionType.Config and <= SectionType.OptimizerSlot;

    /// <summary>The lower-case name error messages use for <paramref name="type"/>, or "unknown type n" for an id this build does not know.</summary>
    public static string Describe(this SectionType type) => type switch
    {
        SectionType.Config => "configuration",
        SectionType.DevicePartition => "device partition",
        SectionType.LocalPartition => "local partition",
        SectionType.EdgePartition => "edge partition",
        SectionType.CloudPartition => "cloud partition",
        SectionType.Tensor => "tensor",
        SectionType.TrainingProgress => "training progress",
        SectionType.OptimizerSlot => "optimizer slot",
        _ => $"unknown type {(uint)type}",
    };
}
