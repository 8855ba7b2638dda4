using Ddnn.Core.IO;
using Ddnn.Core.Layers;

namespace Ddnn.Core.State;

/// <summary>
/// A module's parameters and buffers, bit for bit, as <see cref="SectionType.Tensor"/> sections of a Ddnn file: one per
/// tensor, index = its position, payload = int32 name byte length, UTF-8 name, byte kind (0 parameter, 1 buffer),
/// int32 rank, int32 dims, float32 values. On its own it is a <see cref="DdnnFileKind.ModuleState"/> file; trainable
/// model files and training checkpoints embed the same sections.
/// </summary>
public static class ModuleState
{
    private const byte KindParameter = 0;
    private const byte KindBuffer = 1;
    private const int MaxNameBytes = 4096;
    private const int MaxRank = 16;

    /// <summary>Writes every parameter and buffer of <paramref name="module"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        DdnnFile.Save(path, DdnnFileKind.ModuleState, Sections(module));
    }

    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="module"/>. Every parameter and buffer must be present
    /// with the same kind and shape and nothing else may be; on any error the module is left unchanged.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, of another kind or does not match the module.</exception>
    public static void Load(Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        var contents = DdnnFile.Read(path, DdnnFileKind.ModuleState);
        Apply(module, contents.Sections, contents.Source);
    }

    /// <summary>The bytes <see cref="Save"/> writes.</summary>
    public static byte[] Serialize(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return DdnnFile.Serialize(DdnnFileKind.ModuleState, Sections(module));
    }

    /// <summary>Loads bytes produced by <see cref="Serialize"/>; <paramref name="source"/> names the data in errors.</summary>
    public static void Deserialize(Module module, byte[] bytes, string source = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(module);
        var contents = DdnnFile.Parse(bytes, source, DdnnFileKind.ModuleState);
        Apply(module, contents.Sections, contents.Source);
    }

    /// <summary>One tensor section per parameter, then per buffer, of <paramref name="module"/>.</summary>
    public static FileSection[] Sections(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var entries = Entries(module);
        var sections = new FileSection[entries.Count];
        for (var i = 0; i < sections.Length; i++)
        {
            var (name, tensor, isBuffer) = entries[i];
            var w = new PayloadWriter();
            w.Text(name);
            w.Byte(isBuffer ? KindBuffer : KindParameter);
            w.Int(tensor.Rank);
            foreach (var d in tensor.Shape) w.Int(d);
            w.Floats(tensor.Data.AsSpan(0, tensor.Length));
            sections[i] = FileSection.Of(SectionType.Tensor, (uint)i, w.ToArray());
        }
        return sections;
    }

    /// <summary>
    /// Copies the tensor sections into <paramref name="module"/>: each must name one of its parameters or buffers, of
    /// the same kind and shape, in order, and every one must be present. Everything is checked before anything is
    /// copied, so on an error the module is unchanged. <paramref name="source"/> names the file in errors.
    /// </summary>
    /// <exception cref="InvalidDataException">A section is malformed or does not fit the module (named).</exception>
    public static void Apply(Module module, IReadOnlyList<FileSection> tensors, string source)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = Entries(module);
        var byName = new Dictionary<string, (Tensor Tensor, bool IsBuffer)>(entries.Count);
        foreach (var e in entries) byName[e.Name] = (e.Tensor, e.IsBuffer);
        var loaded = new List<(Tensor Target, float[] Values)>(tensors.Count);
        var seen = new HashSet<string>();
        for (var i = 0; i < tensors.Count; i++)
        {
            var section = tensors[i];
            if (section.Type != SectionType.Tensor) throw section.Error($"expected a tensor section, found a {section.Type.Describe()} section.");
            section.ExpectIndex((uint)i);
            var r = section.Reader();
            var name = r.Text("tensor name", MaxNameBytes);
            var kind = r.Byte($"kind of '{name}'", KindBuffer);
            var rank = r.Int($"rank of '{name}'", 0, MaxRank);
            var shape = new int[rank];
            long volume = 1;
            for (var d = 0; d < rank; d++)
            {
                shape[d] = r.Int($"dimension {d} of '{name}'", 0, int.MaxValue);
                volume *= shape[d];
                if (volume > Array.MaxLength) throw r.Error($"tensor '{name}' is too large ({ShapeUtil.Format(shape.AsSpan(0, d + 1))}...).");
            }
            if (!byName.TryGetValue(name, out var target))
                throw r.Error($"tensor '{name}' does not exist in {module.GetType().Name}.");
            if (!seen.Add(name)) throw r.Error($"tensor '{name}' appears twice.");
            if ((kind == KindBuffer) != target.IsBuffer)
                throw r.Error($"'{name}' is stored as a {(kind == KindBuffer ? "buffer" : "parameter")} but the module has a {(target.IsBuffer ? "buffer" : "parameter")}.");
            if (!ShapeUtil.Equal(shape, target.Tensor.Shape))
                throw r.Error($"'{name}' has shape {ShapeUtil.Format(shape)} in the file but {target.Tensor.ShapeText} in the module.");
            var values = r.Floats((int)volume, $"values of '{name}'");
            r.ExpectEnd();
            loaded.Add((target.Tensor, values));
        }
        foreach (var e in entries)
            if (!seen.Contains(e.Name))
                throw new InvalidDataException($"{source}: '{e.Name}' {e.Tensor.ShapeText} of {module.GetType().Name} is missing from the file.");
        foreach (var (target, values) in loaded) values.CopyTo(target.Data, 0);
    }

    private static List<(string Name, Tensor Tensor, bool IsBuffer)> Entries(Module module)
    {
        var list = new List<(string, Tensor, bool)>();
        foreach (var p in module.NamedParameters()) list.Add((p.Name, p.Parameter, false));
        foreach (var b in module.NamedBuffers()) list.Add((b.Name, b.Tensor, true));
        return list;
    }
}
