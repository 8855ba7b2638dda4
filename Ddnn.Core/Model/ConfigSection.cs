using System.Text;
using Ddnn.Core.IO;

namespace Ddnn.Core.Model;

/// <summary>The configuration section every model-bearing Ddnn file starts with: <see cref="DdnnConfigJson"/> as UTF-8, index 0.</summary>
public static class ConfigSection
{
    /// <summary>The section holding <paramref name="config"/>.</summary>
    public static FileSection Of(DdnnConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return FileSection.Of(SectionType.Config, 0, Encoding.UTF8.GetBytes(DdnnConfigJson.Serialize(config)));
    }

    /// <summary>Parses and validates the configuration of <paramref name="section"/>.</summary>
    /// <exception cref="InvalidDataException">Not UTF-8, not the configuration JSON, or an invalid configuration; names the section.</exception>
    public static DdnnConfig Read(FileSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        section.ExpectIndex(0);
        var json = section.Reader().RestAsText("configuration JSON");
        try
        {
            return DdnnConfigJson.Parse(json, "stored configuration");
        }
        catch (DdnnConfigException e)
        {
            throw section.Error($"invalid configuration: {e.Message}");
        }
    }

    /// <summary>A zero-initialised model of <paramref name="config"/>, the shapes the file's other sections must fit.</summary>
    /// <exception cref="InvalidDataException">The configuration does not build a model; names the section.</exception>
    public static DdnnModel Build(DdnnConfig config, FileSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        try
        {
            return new DdnnModel(config);
        }
        catch (ArgumentException e)
        {
            throw section.Error($"the stored configuration does not build a model: {e.Message}");
        }
    }
}
