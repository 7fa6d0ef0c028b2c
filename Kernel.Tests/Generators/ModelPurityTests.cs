using System.Reflection;
using Kernel.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Kernel.Tests.Generators;

/// <summary>Models hold values only: a symbol, syntax node or compilation in a model defeats caching and leaks memory.</summary>
public sealed class ModelPurityTests
{
    private static readonly Type[] s_forbidden =
    {
        typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Compilation), typeof(SemanticModel),
        typeof(Location), typeof(AttributeData), typeof(SyntaxReference),
    };

    public static TheoryData<string> ModelTypes()
    {
        var data = new TheoryData<string>();
        foreach (var t in typeof(EquatableArray<>).Assembly.GetTypes().Where(t => t.Namespace == typeof(EquatableArray<>).Namespace && !t.IsEnum && !t.IsAbstract))
        {
            data.Add(t.FullName!);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void ModelType_HoldsNoSymbolsSyntaxOrCompilation(string typeName)
    {
        var type = typeof(EquatableArray<>).Assembly.GetType(typeName)!;
        var visited = new HashSet<Type>();
        Walk(type, typeName, visited);
    }

    [Fact]
    public void Walker_CatchesAForbiddenMember()
    {
        // The control: a type holding an ISymbol must fail the walk.
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => Walk(typeof(Leaky), "Leaky", new HashSet<Type>()));
    }

    [Fact]
    public void EquatableArray_HasStructuralEqualityAndHash()
    {
        var a = new EquatableArray<string>(new[] { "x", "y" });
        var b = new EquatableArray<string>(new[] { "x", "y" });
        var c = new EquatableArray<string>(new[] { "y", "x" });
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
        Assert.NotEqual(a.GetHashCode(), c.GetHashCode());
        Assert.Equal(default(EquatableArray<string>), new EquatableArray<string>(Array.Empty<string>()));
    }

    private static void Walk(Type type, string path, HashSet<Type> visited)
    {
        if (!visited.Add(type) || type.IsPrimitive || type.IsEnum || type == typeof(string)) return;
        foreach (var forbidden in s_forbidden)
        {
            Assert.False(forbidden.IsAssignableFrom(type), $"{path} is a {forbidden.Name}");
        }
        if (type.IsGenericType)
        {
            foreach (var arg in type.GetGenericArguments()) Walk(arg, path + "<" + arg.Name + ">", visited);
        }
        if (type.IsArray) Walk(type.GetElementType()!, path + "[]", visited);
        if (type.Namespace?.StartsWith("System", StringComparison.Ordinal) == true) return;
        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            Walk(field.FieldType, path + "." + field.Name, visited);
        }
    }

    private sealed record Leaky(ISymbol Symbol);
}
