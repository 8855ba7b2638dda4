using System.Text.Json;

namespace Ddnn.TestSupport;

/// <summary>Opens the libtorch golden files copied under tests/fixtures/golden.</summary>
public static class GoldenFile
{
    private static readonly Lazy<JsonDocument> OpsDocument = new(() => Load("ops.json"));
    private static readonly Lazy<JsonDocument> StepDocument = new(() => Load("ddnn_step.json"));

    /// <summary>The root of ops.json.</summary>
    public static JsonElement Ops => OpsDocument.Value.RootElement;

    /// <summary>The root of ddnn_step.json.</summary>
    public static JsonElement Step => StepDocument.Value.RootElement;

    /// <summary>One case of ops.json by name.</summary>
    public static GoldenCase OpCase(string name) => new(Ops.GetProperty("cases").GetProperty(name));

    /// <summary>Reads every tensor of a JSON object keyed by name.</summary>
    public static Dictionary<string, GoldenTensor> Tensors(JsonElement obj) =>
        obj.EnumerateObject().ToDictionary(p => p.Name, p => GoldenTensor.Parse(p.Value));

    private static JsonDocument Load(string fileName)
    {
        var path = Fixtures.Path("golden", fileName);
        using var stream = File.OpenRead(path);
        return JsonDocument.Parse(stream);
    }
}

/// <summary>One single-op case: inputs, outputs, upstream gradients, gradients and attributes.</summary>
public sealed class GoldenCase(JsonElement element)
{
    public JsonElement Element { get; } = element;
    public string Op => Element.GetProperty("op").GetString()!;
    public JsonElement Attrs => Element.GetProperty("attrs");
    public GoldenTensor Input(string name) => GoldenTensor.Parse(Element.GetProperty("inputs").GetProperty(name));
    public GoldenTensor Output(string name) => GoldenTensor.Parse(Element.GetProperty("outputs").GetProperty(name));
    public GoldenTensor GradOutput(string name) => GoldenTensor.Parse(Element.GetProperty("grad_outputs").GetProperty(name));
    public GoldenTensor Grad(string name) => GoldenTensor.Parse(Element.GetProperty("grads").GetProperty(name));
    public GoldenTensor Derived(string name) => GoldenTensor.Parse(Element.GetProperty("derived").GetProperty(name));
    public IEnumerable<string> InputNames => Element.GetProperty("inputs").EnumerateObject().Select(p => p.Name);
    public IEnumerable<string> OutputNames => Element.GetProperty("outputs").EnumerateObject().Select(p => p.Name);
    public IEnumerable<string> GradNames => Element.GetProperty("grads").EnumerateObject().Select(p => p.Name);
}
